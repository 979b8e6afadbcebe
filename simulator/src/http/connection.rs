//! The connection a request came on: the peer's address, and a handle that ends the connection
//! without a reply (for injected resets and closes).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// The connection a provider request came on. Passed down explicitly rather than as request
/// extensions, which would cost allocations on every request.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The peer address.
    pub peer: SocketAddr,
    /// Ends the connection without a reply.
    pub control: ConnControl,
}

/// How a connection is to be ended without a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// A TCP reset (RST): clients see "connection reset by peer".
    Reset,
    /// An orderly close (FIN) with no reply: clients see an empty reply.
    Close,
}

/// Lets a request end its own connection; the server makes one per connection.
#[derive(Debug, Clone, Default)]
pub struct ConnControl(Arc<Mutex<Option<oneshot::Sender<Kill>>>>);

impl ConnControl {
    /// A control and the receiver the connection task waits on.
    pub fn new() -> (ConnControl, oneshot::Receiver<Kill>) {
        let (tx, rx) = oneshot::channel();
        (ConnControl(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    /// Ends the connection `how`; later calls do nothing.
    pub fn kill(&self, how: Kill) {
        if let Some(tx) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(how);
        }
    }
}
