//! The connection a request came on: the peer's address, and a handle that ends the connection
//! without a reply (for injected resets and closes).

use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::oneshot;

pub use crate::domain::journal::Scheme;

/// The connection a provider request came on. Passed down explicitly rather than as request
/// extensions, which would cost allocations on every request.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The peer address.
    pub peer: SocketAddr,
    /// Ends the connection without a reply.
    pub control: ConnControl,
    /// Whether the request came over TLS.
    pub scheme: Scheme,
}

/// How a connection is to be ended without a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// A TCP reset (RST): clients see "connection reset by peer".
    Reset,
    /// An orderly close (FIN) with no reply: clients see an empty reply.
    Close,
}

/// Lets a request end its own connection, or tune its socket; the server makes one per
/// connection.
#[derive(Debug, Clone, Default)]
pub struct ConnControl(Arc<Control>);

#[derive(Debug, Default)]
struct Control {
    kill: Mutex<Option<oneshot::Sender<Kill>>>,
    /// The socket, without keeping it open (the server decides when it closes).
    socket: Weak<TcpStream>,
}

impl ConnControl {
    /// A control of the connection on `socket` and the receiver the connection task waits on.
    pub fn new(socket: Weak<TcpStream>) -> (ConnControl, oneshot::Receiver<Kill>) {
        let (tx, rx) = oneshot::channel();
        let control = Control {
            kill: Mutex::new(Some(tx)),
            socket,
        };
        (ConnControl(Arc::new(control)), rx)
    }

    /// Ends the connection `how`; later calls do nothing.
    pub fn kill(&self, how: Kill) {
        let sender = self.0.kill.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tx) = sender {
            let _ = tx.send(how);
        }
    }

    /// Caps the kernel's send buffer of the connection at `bytes`, so that a client that stops
    /// reading makes writes wait soon rather than after megabytes.
    pub fn limit_send_buffer(&self, bytes: usize) {
        if let Some(socket) = self.0.socket.upgrade() {
            let _ = socket2::SockRef::from(&*socket).set_send_buffer_size(bytes);
        }
    }
}
