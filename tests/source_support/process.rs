//! Running a server binary for a test: a free port on 127.0.0.1, a log line that says it is ready (polled with a
//! deadline, never slept for), and the process killed when the test drops it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a server may take to say it is listening.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A port on 127.0.0.1 that was free a moment ago (the caller retries if a race takes it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A server process, killed and reaped when dropped. Its log (stderr) is kept for failure messages.
pub struct Server {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `command(port)` on free ports until one stays up: returns once a stderr line contains `ready`, or
    /// panics with the log when the server keeps failing or says nothing within the deadline.
    pub fn start(name: &str, ready: &str, mut command: impl FnMut(u16) -> Command) -> Server {
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut child = command(port)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
            let log = Arc::new(Mutex::new(String::new()));
            let (ready_tx, ready_rx) = mpsc::channel();
            let stderr = child.stderr.take().expect("stderr");
            let (reader_log, ready_line) = (log.clone(), ready.to_string());
            std::thread::spawn(move || {
                let mut ready_tx = Some(ready_tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if line.contains(&ready_line)
                        && let Some(tx) = ready_tx.take()
                    {
                        let _ = tx.send(());
                    }
                    let mut log = reader_log.lock().unwrap();
                    if log.len() < 256 * 1024 {
                        log.push_str(&line);
                        log.push('\n');
                    }
                }
                // The server exited (or closed stderr): wake the waiter.
            });
            let server = Server { child, port, log };
            let deadline = Instant::now() + READY_TIMEOUT;
            match ready_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(()) => return server,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Exited before it was ready, most often because another process took the port: retry.
                    last_log = server.log();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("{name} did not get ready within {READY_TIMEOUT:?}; its log:\n{}", server.log())
                }
            }
        }
        panic!("{name} did not start; its last log:\n{last_log}")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The name of the user running the tests (the login the test sshd accepts).
pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id runs");
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}
