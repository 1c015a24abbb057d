//! A tiny HTTP forward proxy on 127.0.0.1 for proxy tests: it reads each connection's first
//! request line (`POST http://any-host:PORT/path HTTP/1.1`), records it, connects to
//! `127.0.0.1:PORT` whatever the host, and relays bytes both ways. Host names that resolve nowhere
//! (`*.invalid`) therefore reach the local fake only through the proxy, which proves the client
//! used it.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct ForwardProxy {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    /// Starts listening on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&lines);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, Arc::clone(&seen)));
            }
        });
        Self { addr, lines }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first request line of every connection so far.
    pub fn request_lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

async fn relay(mut client: TcpStream, lines: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // The request line, byte by byte (bounded), within a bounded time.
    let read_line = async {
        while !head.ends_with(b"\r\n") && head.len() < 8192 {
            if client.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        Some(())
    };
    if tokio::time::timeout(Duration::from_secs(10), read_line)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        return;
    }
    let line = String::from_utf8_lossy(&head).trim().to_owned();
    lines.lock().unwrap().push(line.clone());
    // `METHOD http://host:port/path HTTP/1.1` → port.
    let port = line
        .split(' ')
        .nth(1)
        .and_then(|target| target.strip_prefix("http://"))
        .and_then(|rest| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once(':'))
        .and_then(|(_, port)| port.parse::<u16>().ok());
    let Some(port) = port else {
        let _ = client
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    let Ok(mut upstream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    if upstream.write_all(&head).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::io::copy_bidirectional(&mut client, &mut upstream),
    )
    .await;
}
