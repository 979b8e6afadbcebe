//! A client that shuts its sending side once its request is out (`printf … | nc -N`, a socket
//! script calling `shutdown(SHUT_WR)`) still gets its reply.
//!
//! hyper, when it reads the end of the stream while a request is being answered, takes it for
//! a client that has gone and drops the connection, even a reply that is already made: such a
//! client got no reply nearly every time. [`ReplyBeforeEof`] shows the end of the stream to
//! hyper one turn late: a reply that is ready by then is written first; one that is not (a
//! `hang`, a delay, a waiting listing) is dropped with its connection as before, so a client
//! that leaves still frees its connection at once.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A stream whose end is reported one poll after it is read.
#[derive(Debug)]
pub struct ReplyBeforeEof<S> {
    inner: S,
    /// The end was read once and reported as not yet ready.
    end_deferred: bool,
}

impl<S> ReplyBeforeEof<S> {
    /// Wraps a connection's stream.
    pub fn new(inner: S) -> ReplyBeforeEof<S> {
        ReplyBeforeEof {
            inner,
            end_deferred: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReplyBeforeEof<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let at_end = buf.filled().len() == before && buf.remaining() > 0;
        if at_end && !this.end_deferred {
            // Pending, and woken at once: hyper writes what is ready, then reads the end again.
            this.end_deferred = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReplyBeforeEof<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
