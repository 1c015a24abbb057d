//! The X-Ray daemon's UDP protocol, as a client: one datagram per document, never blocking.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use otel_xray_model::daemon::{DaemonFrameError, frame_into};
use otel_xray_model::limits::DEFAULT_DAEMON_ADDRESS;

/// The environment variable the X-Ray SDKs and Lambda use for the daemon address.
pub const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// Why an `AWS_XRAY_DAEMON_ADDRESS`-style value is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaemonAddressError {
    /// The value is neither `host:port` nor `tcp:host:port udp:host:port`.
    #[error("invalid daemon address {0:?}: expected host:port or \"tcp:host:port udp:host:port\"")]
    Invalid(String),
    /// The host did not resolve.
    #[error("daemon address {0:?} does not resolve")]
    Unresolvable(String),
}

/// The daemon's UDP and TCP (sampling proxy) addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonAddress {
    /// Where segment datagrams go.
    pub udp: SocketAddr,
    /// Where the sampling proxy listens.
    pub tcp: SocketAddr,
}

fn resolve(s: &str, whole: &str) -> Result<SocketAddr, DaemonAddressError> {
    if !s.contains(':') {
        return Err(DaemonAddressError::Invalid(whole.to_owned()));
    }
    s.to_socket_addrs()
        .map_err(|_| DaemonAddressError::Unresolvable(whole.to_owned()))?
        .next()
        .ok_or_else(|| DaemonAddressError::Unresolvable(whole.to_owned()))
}

impl DaemonAddress {
    /// Parses `host:port` (both protocols) or `tcp:host:port udp:host:port` in either order.
    pub fn parse(value: &str) -> Result<Self, DaemonAddressError> {
        let value = value.trim();
        let parts: Vec<&str> = value.split_whitespace().collect();
        match parts.as_slice() {
            [single] if !single.starts_with("tcp:") && !single.starts_with("udp:") => {
                let addr = resolve(single, value)?;
                Ok(Self { udp: addr, tcp: addr })
            }
            [a, b] => {
                let (mut udp, mut tcp) = (None, None);
                for p in [a, b] {
                    if let Some(rest) = p.strip_prefix("udp:") {
                        udp = Some(resolve(rest, value)?);
                    } else if let Some(rest) = p.strip_prefix("tcp:") {
                        tcp = Some(resolve(rest, value)?);
                    }
                }
                match (udp, tcp) {
                    (Some(udp), Some(tcp)) => Ok(Self { udp, tcp }),
                    _ => Err(DaemonAddressError::Invalid(value.to_owned())),
                }
            }
            _ => Err(DaemonAddressError::Invalid(value.to_owned())),
        }
    }

    /// `127.0.0.1:2000` for both.
    pub fn default_local() -> Self {
        Self::parse(DEFAULT_DAEMON_ADDRESS).expect("the default address is valid")
    }
}

/// Why one datagram was not sent.
#[derive(Debug, thiserror::Error)]
pub enum DaemonSendError {
    /// The document does not fit a datagram.
    #[error(transparent)]
    Frame(#[from] DaemonFrameError),
    /// The socket's send buffer is full; the datagram was dropped instead of blocking.
    #[error("the UDP send buffer is full; datagram dropped")]
    WouldBlock,
    /// The operating system refused the datagram.
    #[error("sending the datagram failed: {0}")]
    Io(io::Error),
}

impl DaemonSendError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Frame(_) => "too_large",
            Self::WouldBlock => "socket_full",
            Self::Io(_) => "io_error",
        }
    }
}

/// A non-blocking UDP client for the daemon protocol.
#[derive(Debug)]
pub struct DaemonClient {
    socket: UdpSocket,
    target: SocketAddr,
}

impl DaemonClient {
    /// Binds an ephemeral local port and targets `target`.
    pub fn new(target: SocketAddr) -> io::Result<Self> {
        let bind: SocketAddr = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
            .parse()
            .expect("valid");
        let socket = UdpSocket::bind(bind)?;
        socket.set_nonblocking(true)?;
        Ok(Self { socket, target })
    }

    /// Where datagrams go.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Sends one document as one datagram, using `scratch` for the framing.
    pub fn send(&self, document: &[u8], scratch: &mut Vec<u8>) -> Result<(), DaemonSendError> {
        scratch.clear();
        frame_into(document, scratch)?;
        match self.socket.send_to(scratch, self.target) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(DaemonSendError::WouldBlock),
            Err(e) => Err(DaemonSendError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_daemon_addresses() {
        let a = DaemonAddress::parse("127.0.0.1:2000").unwrap();
        assert_eq!(a.udp, a.tcp);
        let b = DaemonAddress::parse("tcp:127.0.0.1:2001 udp:127.0.0.1:2002").unwrap();
        assert_eq!(b.udp.port(), 2002);
        assert_eq!(b.tcp.port(), 2001);
        let c = DaemonAddress::parse("udp:127.0.0.1:2002 tcp:127.0.0.1:2001").unwrap();
        assert_eq!(b, c);
        for bad in ["", "nohost", "udp:127.0.0.1:1", "tcp:x udp:y z", "127.0.0.1:notaport"] {
            assert!(DaemonAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sends_framed_datagrams() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let client = DaemonClient::new(server.local_addr().unwrap()).unwrap();
        let mut scratch = Vec::new();
        client.send(br#"{"name":"a"}"#, &mut scratch).unwrap();
        let mut buf = [0u8; 70_000];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"{\"format\":\"json\",\"version\":1}\n{\"name\":\"a\"}");
        let too_big = vec![b'x'; 65_500];
        assert!(matches!(
            client.send(&too_big, &mut scratch),
            Err(DaemonSendError::Frame(_))
        ));
    }
}
