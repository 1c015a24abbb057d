//! Sending segment documents the way the X-Ray SDKs do: one UDP datagram per document, behind the
//! daemon header line `{"format":"json","version":1}`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use otel_xray_model::daemon::frame_into;
use tokio::net::UdpSocket;

/// A UDP client for the daemon port.
#[derive(Debug)]
pub struct DaemonSender {
    socket: UdpSocket,
    target: SocketAddr,
    scratch: Vec<u8>,
}

impl DaemonSender {
    /// A socket on an ephemeral port of the target's address family.
    pub async fn bind(target: SocketAddr) -> std::io::Result<Self> {
        let local: SocketAddr = if target.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        Ok(Self {
            socket: UdpSocket::bind(local).await?,
            target,
            scratch: Vec::new(),
        })
    }

    /// Where datagrams go.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Sends one document. UDP says nothing about delivery: an error here is local (too large,
    /// no route) or an earlier datagram refused by the host (ICMP port unreachable).
    pub async fn send(&mut self, document: &str) -> Result<(), String> {
        self.scratch.clear();
        frame_into(document.as_bytes(), &mut self.scratch).map_err(|e| e.to_string())?;
        self.socket
            .send_to(&self.scratch, self.target)
            .await
            .map(|_| ())
            .map_err(|e| format!("UDP {}: {e}", self.target))
    }
}
