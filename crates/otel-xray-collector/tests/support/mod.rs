//! Helpers shared by the collector's tests. Those that run the `otel-xray` binary: child processes that are killed
//! on drop, scratch directories, free loopback ports and a tiny HTTP/1.0 client
//! (here); those that run the pipeline in the test process: [`in_process`].

#![allow(dead_code)] // each test binary uses its own subset

pub mod in_process;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A child process killed and reaped on drop; stdout and stderr in files.
pub struct Proc {
    name: String,
    /// The process.
    pub child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Proc {
    pub fn spawn(name: &str, command: &mut Command, dir: &Path) -> Self {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = command
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("create stdout file"))
            .stderr(File::create(&stderr).expect("create stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
        }
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the exit until `deadline`; `None` when it is still running.
    pub fn wait_until(&mut self, deadline: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the exit, failing the test after `limit`.
    pub fn finish(&mut self, limit: Duration) -> ExitStatus {
        self.wait_until(Instant::now() + limit).unwrap_or_else(|| {
            panic!(
                "{} did not exit within {limit:?}:\n{}\n{}",
                self.name,
                self.stdout(),
                self.stderr()
            )
        })
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- {} stderr ({}):\n{}",
                self.name,
                self.stderr.display(),
                self.stderr()
            );
        }
    }
}

/// A scratch directory removed on drop (kept when the test fails).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("otel-xray-test-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Distinct free ports on 127.0.0.1: three TCP (gRPC, HTTP, admin) and one UDP, all held at once
/// so that they differ, then released for the gateway.
pub fn free_ports() -> ([u16; 3], u16) {
    let tcp: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind tcp"))
        .collect();
    let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind udp");
    let ports = [0, 1, 2].map(|i| tcp[i].local_addr().expect("local addr").port());
    (ports, udp.local_addr().expect("local addr").port())
}

/// `GET path` over HTTP/1.0: the status, or `None` when nothing answers.
pub fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

/// `n` distinct free TCP ports on 127.0.0.1 (held at once so that they differ, then released).
pub fn free_tcp_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind tcp"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}

/// `POST path` with a JSON body over HTTP/1.0: the status and the response body.
pub fn http_post_json(addr: SocketAddr, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `/ready` on `admin` until it answers 200; panics when `proc` exits first or `limit`
/// passes.
pub fn wait_ready(proc: &mut Proc, admin: SocketAddr, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = proc.child.try_wait().expect("try_wait") {
            panic!(
                "{} exited with {status} before it was ready:\n{}",
                proc.name,
                proc.stderr()
            );
        }
        if http_status(admin, "/ready") == Some(200) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} was not ready within {limit:?}:\n{}",
            proc.name,
            proc.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends SIGTERM and waits (at most `limit`) for a successful exit.
pub fn terminate(proc: &mut Proc, limit: Duration) {
    let pid = proc.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(kill.success(), "kill -TERM {pid} failed");
    let status = proc.finish(limit);
    assert!(
        status.success(),
        "{} exited with {status}:\n{}",
        proc.name,
        proc.stderr()
    );
}

/// The directory of a scratch dir.
pub fn path_of(s: &Scratch) -> &Path {
    &s.0
}

/// Spawns `otel-xray ARGS` with `env` added and `remove` taken out of the environment.
pub fn spawn_otel_xray(name: &str, args: &[&str], env: &[(&str, &Path)], remove: &[&str], dir: &Path) -> Proc {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otel-xray"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    for k in remove {
        command.env_remove(k);
    }
    Proc::spawn(name, &mut command, dir)
}
