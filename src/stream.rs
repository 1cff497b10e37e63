//! A [`Stream`] of messages from any stream of byte chunks (feature
//! `stream`): the same [`Parser`] and [`Dispatcher`] that push, behind
//! `futures_core::Stream` for code that pulls. `no_std` + `alloc`, no
//! runtime.

use alloc::collections::VecDeque;
use alloc::string::String;
use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use crate::{Dispatcher, Item, OwnedItem, OwnedMessage, ParseError, Parser};

/// Queue capacity kept once the queue is drained: a chunk of many tiny
/// events does not pin its memory for the rest of the stream.
const RETAINED_QUEUE_CAPACITY: usize = 1024;

/// The messages of a Server-Sent Events stream, read from any stream of
/// byte chunks: what a browser's `EventSource` would dispatch, as
/// [`OwnedMessage`]s, in order.
///
/// The inner stream yields `Result<B, E>` with `B: AsRef<[u8]>`: reqwest's
/// `Response::bytes_stream()` (`Bytes`, `reqwest::Error`), workers-rs'
/// `ByteStream` (`Vec<u8>`, `worker::Error`), or anything else. It must be
/// [`Unpin`], as both of those are; pin any other with `Box::pin(stream)`
/// (or `core::pin::pin!` when it lives on the stack).
///
/// - **Errors.** A [`StreamError::Transport`] is the inner stream's error,
///   yielded in order: every message its earlier chunks completed comes
///   first. The stream does not end there; it polls the inner stream again,
///   and an event cut by the error is completed by the bytes that follow
///   it, if any. The inner stream decides when the body is over (stop
///   polling if you decide first). A [`StreamError::Parse`] is an event over
///   the size limit: that event was dropped and the stream goes on with the
///   next one, so a loop that stops at the first error (`?`,
///   `try_next`) stops at it too.
/// - **The end.** When the inner stream ends, so does this one, after the
///   messages it completed. An event cut off by the end (no blank line after
///   it) is dropped, as browsers drop it (P12), and an `id` in it is not
///   kept.
/// - **The size limit.** One event may buffer [`DEFAULT_MAX_EVENT_BYTES`]
///   (16 MiB); pass a [`Parser::with_max_event_bytes`] to
///   [`from_parts`](MessageStream::from_parts) to choose another.
/// - **Cost.** The inner stream is polled only once every item of its last
///   chunk was yielded. A chunk is parsed once, in one [`Parser::feed`]
///   call, into a queue of owned items that the next polls pop: many
///   messages in one chunk cost one parse, nothing is scanned twice, and
///   the queue holds what one chunk completes, no more. Comments are
///   dropped while parsing, never copied, unless asked for.
/// - **`retry` and the last event ID.**
///   [`dispatcher`](MessageStream::dispatcher) has both as of the last item
///   yielded, never ahead of it (the dispatch rules run as an item leaves
///   the queue), so a reconnect that sends its last event ID misses nothing
///   that was read but not yet yielded. Comments (heartbeats), and `retry`
///   fields in stream order, come with
///   [`with_comments`](MessageStream::with_comments).
///
/// ```
/// use futures::executor::block_on;
/// use futures::stream::{self, StreamExt};
/// use ssekit::MessageStream;
///
/// // Two chunks, as a response body may arrive.
/// let body = stream::iter([
///     Ok::<_, std::io::Error>(&b"retry: 5000\nid: 1\ndata: hel"[..]),
///     Ok(b"lo\n\n: keep-alive\n\nevent: bye\ndata: see you\n\n"),
/// ]);
/// let mut messages = MessageStream::new(body);
/// block_on(async {
///     let hello = messages.next().await.unwrap()?;
///     assert_eq!(hello.data, "hello");
///     assert_eq!(hello.event_type, "message"); // no `event` field
///     assert_eq!(messages.dispatcher().reconnection_time(), Some(5000));
///     let bye = messages.next().await.unwrap()?;
///     assert_eq!((bye.event_type.as_str(), bye.last_event_id.as_str()), ("bye", "1"));
///     assert!(messages.next().await.is_none()); // the body ended
///     Ok::<_, ssekit::StreamError<std::io::Error>>(())
/// })?;
/// # Ok::<_, ssekit::StreamError<std::io::Error>>(())
/// ```
///
/// [`DEFAULT_MAX_EVENT_BYTES`]: crate::DEFAULT_MAX_EVENT_BYTES
#[derive(Debug)]
pub struct MessageStream<S> {
    reader: Reader<S>,
}

/// A [`MessageStream`] that also yields comments and `retry` fields, each
/// as a [`StreamItem`] in stream order. Made by
/// [`MessageStream::with_comments`].
#[derive(Debug)]
pub struct WithComments<S> {
    reader: Reader<S>,
}

/// What a [`WithComments`] stream yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// A message, as a [`MessageStream`] yields it.
    Message(OwnedMessage),
    /// A comment line (`:` first), with one leading space removed; servers
    /// send them as heartbeats. See [`Item::Comment`].
    Comment(String),
    /// A valid `retry` field, in milliseconds; the
    /// [reconnection time](Dispatcher::reconnection_time) is already set to
    /// it. See [`Item::Retry`].
    Retry(u64),
}

/// Why a [`MessageStream`] yielded an error instead of a message. Neither
/// ends the stream. It shows (`Display`) as the error inside, and its
/// `source` is that error's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError<E> {
    /// The inner stream's own error, as it was.
    Transport(E),
    /// An event broke a limit the parser enforces (it was over the size
    /// limit); it was dropped, and the events after it are read as usual.
    Parse(ParseError),
}

impl<E: fmt::Display> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Transport(error) => error.fmt(f),
            StreamError::Parse(error) => error.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl<E: std::error::Error> std::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Transparent: Display is the inner error's, and so is the source.
        match self {
            StreamError::Transport(error) => error.source(),
            StreamError::Parse(error) => error.source(),
        }
    }
}

impl<S> MessageStream<S> {
    /// Messages from `inner`, with the [default size
    /// limit](crate::DEFAULT_MAX_EVENT_BYTES) and an empty last event ID.
    pub fn new(inner: S) -> Self {
        Self::from_parts(inner, Parser::new(), Dispatcher::new())
    }

    /// Messages from `inner`, read by `parser` (say
    /// [`Parser::with_max_event_bytes`]) and dispatched by `dispatcher`
    /// (say [`Dispatcher::with_last_event_id`] to resume, or the
    /// [`dispatcher`](MessageStream::dispatcher) of the stream a reconnect
    /// replaces, cloned: its last event ID and reconnection time).
    pub fn from_parts(inner: S, parser: Parser, dispatcher: Dispatcher) -> Self {
        MessageStream {
            reader: Reader {
                inner,
                parser,
                dispatcher,
                queue: VecDeque::new(),
                comments: false,
                ended: false,
            },
        }
    }

    /// The browser-side state as of the last item yielded: the last event
    /// ID (for `Last-Event-ID` on a reconnect) and the reconnection time the
    /// server asked for with `retry`.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.reader.dispatcher
    }

    /// Also yields comments and `retry` fields, as [`StreamItem`]s. Call it
    /// before polling: comments in the bytes already read are gone.
    pub fn with_comments(self) -> WithComments<S> {
        let mut reader = self.reader;
        reader.comments = true;
        WithComments { reader }
    }
}

impl<S> WithComments<S> {
    /// See [`MessageStream::dispatcher`].
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.reader.dispatcher
    }
}

impl<S, B, E> Stream for MessageStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<OwnedMessage, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let reader = &mut self.get_mut().reader;
        loop {
            match ready!(reader.poll_next(cx)) {
                Some(Ok(StreamItem::Message(message))) => return Poll::Ready(Some(Ok(message))),
                // A `retry` field: the dispatcher has it. (Comments are not
                // even queued.)
                Some(Ok(StreamItem::Retry(_) | StreamItem::Comment(_))) => {}
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl<S, B, E> FusedStream for MessageStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    fn is_terminated(&self) -> bool {
        self.reader.is_terminated()
    }
}

impl<S, B, E> Stream for WithComments<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<StreamItem, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().reader.poll_next(cx)
    }
}

impl<S, B, E> FusedStream for WithComments<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    fn is_terminated(&self) -> bool {
        self.reader.is_terminated()
    }
}

/// What both streams share: the inner stream, the parser, the dispatcher
/// and the items of the last chunk not yet yielded.
#[derive(Debug)]
struct Reader<S> {
    inner: S,
    parser: Parser,
    dispatcher: Dispatcher,
    /// Parsed, not yet dispatched; never more than one chunk's worth.
    queue: VecDeque<Result<OwnedItem, ParseError>>,
    /// Keep comments (otherwise they are dropped while parsing).
    comments: bool,
    /// The inner stream ended; it is not polled again.
    ended: bool,
}

impl<S, B, E> Reader<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamItem, StreamError<E>>>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                match item {
                    Err(error) => return Poll::Ready(Some(Err(StreamError::Parse(error)))),
                    Ok(item) => match self.dispatch(item) {
                        Some(item) => return Poll::Ready(Some(Ok(item))),
                        None => continue,
                    },
                }
            }
            if self.ended {
                return Poll::Ready(None);
            }
            if self.queue.capacity() > RETAINED_QUEUE_CAPACITY {
                self.queue.shrink_to(RETAINED_QUEUE_CAPACITY);
            }
            match ready!(Pin::new(&mut self.inner).poll_next(cx)) {
                Some(Ok(chunk)) => self.feed(chunk.as_ref()),
                Some(Err(error)) => return Poll::Ready(Some(Err(StreamError::Transport(error)))),
                None => {
                    // P12: "Once the end of the file is reached, any pending
                    // data must be discarded. (If the file ends in the middle
                    // of an event, before the final empty line, the
                    // incomplete event is not dispatched.)"
                    self.parser.finish();
                    self.ended = true;
                }
            }
        }
    }
}

impl<S> Reader<S> {
    /// Parses one chunk into the queue.
    fn feed(&mut self, chunk: &[u8]) {
        let Reader {
            parser,
            queue,
            comments,
            ..
        } = self;
        parser.feed(chunk, |item| match item {
            Ok(Item::Comment(_)) if !*comments => {}
            item => queue.push_back(item.map(Item::into_owned)),
        });
    }

    /// Applies the dispatch rules to one item as it leaves the queue.
    fn dispatch(&mut self, item: OwnedItem) -> Option<StreamItem> {
        match item {
            OwnedItem::Comment(text) => Some(StreamItem::Comment(text)),
            OwnedItem::Retry(ms) => {
                self.dispatcher.dispatch(Item::Retry(ms));
                Some(StreamItem::Retry(ms))
            }
            item => self
                .dispatcher
                .dispatch_owned(item)
                .map(StreamItem::Message),
        }
    }

    fn is_terminated(&self) -> bool {
        self.ended && self.queue.is_empty()
    }
}
