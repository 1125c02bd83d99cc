//! Live reload for `lyceum serve`: a Server-Sent Events stream that tells open pages to
//! reload after a rebuild, or to show a build error as an overlay, and the small script
//! that listens to it. The script is injected into HTML answers by the server only; it
//! is never written into the bundle.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::Duration;

/// The event stream's URL path.
pub(crate) const EVENTS_PATH: &str = "/_lyceum/livereload";

/// How often an idle stream sends a comment, so dead connections are noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Listens to the stream: `reload` reloads, `build-error` shows the report (set as
/// `textContent`, so it is never parsed as HTML), `ok` removes the overlay.
const SCRIPT: &str = r#"<script data-lyceum-serve>/* injected by `lyceum serve` for live reload; not part of the site */
(function(){var box=null,es=new EventSource("/_lyceum/livereload");
function hide(){if(box){box.remove();box=null;}}
function show(text){if(!box){box=document.createElement("div");box.id="lyceum-build-error";box.setAttribute("role","alert");
box.setAttribute("style","position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2em;background:rgba(24,4,4,.94);color:#fde8e8;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap");
document.body.appendChild(box);}
box.textContent="lyceum serve: the build failed; the last good site is still served.\n\n"+text;}
es.addEventListener("reload",function(){location.reload();});
es.addEventListener("build-error",function(e){show(e.data);});
es.addEventListener("ok",hide);})();
</script>
"#;

/// `body` with the live-reload script before the last `</body>` (any case), or at the
/// end when there is none.
pub(crate) fn inject(body: &[u8]) -> Vec<u8> {
    let lower = body.to_ascii_lowercase();
    let at = lower
        .windows(7)
        .rposition(|w| w == b"</body>")
        .unwrap_or(body.len());
    let mut out = Vec::with_capacity(body.len() + SCRIPT.len());
    out.extend_from_slice(&body[..at]);
    out.extend_from_slice(SCRIPT.as_bytes());
    out.extend_from_slice(&body[at..]);
    out
}

/// One SSE frame: `event: <name>` and the data, one `data:` line per line of text.
pub(crate) fn frame(event: &str, data: &str) -> String {
    let mut out = format!("event: {event}\n");
    for line in data.replace('\r', "").split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The open event streams.
#[derive(Default)]
pub(crate) struct Hub {
    clients: Mutex<Vec<Sender<String>>>,
}

impl Hub {
    /// Register a stream; it receives every frame broadcast from now on.
    pub(crate) fn subscribe(&self) -> Receiver<String> {
        let (tx, rx) = mpsc::channel();
        self.clients.lock().expect("hub lock").push(tx);
        rx
    }

    /// Send a frame to every open stream, forgetting closed ones.
    pub(crate) fn broadcast(&self, frame: &str) {
        self.clients
            .lock()
            .expect("hub lock")
            .retain(|tx| tx.send(frame.to_string()).is_ok());
    }

    /// Streams currently open.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.clients.lock().expect("hub lock").len()
    }
}

/// Write an event stream to a raw connection until the client goes away: the response
/// head, `first` (the current state), then every frame from `rx`, flushing each.
pub(crate) fn stream(mut out: impl Write, first: &str, rx: Receiver<String>) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
                X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
    if out
        .write_all(head.as_bytes())
        .and_then(|()| out.write_all(first.as_bytes()))
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let chunk = match rx.recv_timeout(KEEPALIVE) {
            Ok(frame) => frame,
            Err(RecvTimeoutError::Timeout) => ": keep-alive\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if out
            .write_all(chunk.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_before_last_body_close() {
        let out = String::from_utf8(inject(b"<p></BODY> x</body></html>")).unwrap();
        assert!(out.starts_with("<p></BODY> x<script"));
        assert!(out.ends_with("</script>\n</body></html>"));
        let out = String::from_utf8(inject(b"<p>no body")).unwrap();
        assert!(out.starts_with("<p>no body<script"));
    }

    #[test]
    fn frames_split_lines() {
        assert_eq!(
            frame("build-error", "a\r\nb"),
            "event: build-error\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn hub_drops_closed_streams() {
        let hub = Hub::default();
        let rx = hub.subscribe();
        drop(hub.subscribe());
        hub.broadcast("x");
        assert_eq!(hub.len(), 1);
        assert_eq!(rx.recv().unwrap(), "x");
    }
}
