//! `oxilearn health`: ask a running server whether it is ready.
//!
//! The container's `HEALTHCHECK` (and a Kubernetes `exec` probe) runs this, so
//! the image needs no HTTP client of its own. It is a plain HTTP/1.1 `GET` over
//! a TCP connection with a deadline: exit 0 when the server answers `200`,
//! 1 otherwise (refused, timed out, any other status), with the reason on
//! standard error.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use clap::Args;

use super::Failure;

/// Check that a server answers `200` on a health endpoint (exit 0), else exit 1.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  oxilearn health                                  # GET http://127.0.0.1:8080/v2/health/ready
  oxilearn health --port 9000 --path /v2/health/live
  oxilearn health --path /v2/models/iris/ready     # one model (its newest ready version)")]
pub struct HealthArgs {
    /// Host of the server.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the server (the same variable `oxilearn serve` reads).
    #[arg(long, short = 'p', env = "OXILEARN_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Path to ask.
    #[arg(long, default_value = "/v2/health/ready")]
    pub path: String,
    /// Seconds to wait for the whole answer.
    #[arg(long, default_value_t = 3.0)]
    pub timeout: f64,
}

/// Longest status line and headers read before giving up.
const MAX_HEAD: usize = 16 * 1024;

/// Runs the check.
///
/// # Errors
/// The server cannot be reached in time, or answers anything but `200`.
pub fn run(args: HealthArgs) -> Result<(), Failure> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            Failure(format!(
                "--timeout must be a positive number of seconds, got {}",
                args.timeout
            ))
        })?;
    if !args.path.starts_with('/') || args.path.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(Failure(format!(
            "--path must start with `/` and hold no spaces, got `{}`",
            args.path
        )));
    }
    let url = format!("http://{}:{}{}", args.host, args.port, args.path);
    let status = get_status(&args.host, args.port, &args.path, timeout)
        .map_err(|e| Failure(format!("{url}: {e}")))?;
    if status == 200 {
        println!("{url}: 200 OK");
        Ok(())
    } else {
        Err(Failure(format!("{url}: HTTP status {status}")))
    }
}

/// Sends `GET path` and returns the response's status code.
fn get_status(host: &str, port: u16, path: &str, timeout: Duration) -> Result<u16, String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer within {timeout:?}"))
    };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .collect();
    let mut last = format!("`{host}` resolves to no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, left()?) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    let mut stream = stream.ok_or(last)?;
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: oxilearn-health\r\n\
                 Connection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = head.iter().position(|&b| b == b'\n') {
            return parse_status_line(&head[..end]);
        }
        if head.len() >= MAX_HEAD {
            return Err("no HTTP status line in the answer".into());
        }
        stream
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => return Err("the server closed the connection without an answer".into()),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no answer within {timeout:?}"));
            }
            Err(e) => return Err(format!("cannot read the answer: {e}")),
        }
    }
}

/// `HTTP/1.1 200 OK` → 200.
fn parse_status_line(line: &[u8]) -> Result<u16, String> {
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().splitn(3, ' ');
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(v), Some(Ok(code))) if v.starts_with("HTTP/") => Ok(code),
        _ => Err(format!("not an HTTP answer: `{}`", line.trim_end())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r"), Ok(200));
        assert_eq!(
            parse_status_line(b"HTTP/1.0 503 Service Unavailable"),
            Ok(503)
        );
        assert!(parse_status_line(b"SSH-2.0-OpenSSH_9.2").is_err());
        assert!(parse_status_line(b"HTTP/1.1 abc").is_err());
    }
}
