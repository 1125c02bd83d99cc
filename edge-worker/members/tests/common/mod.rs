//! Helpers shared by the members tests.
#![allow(unreachable_pub)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The SQLite adapter's futures are ready at once.
pub fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the SQLite adapter never waits"),
    }
}

pub const NOW: u64 = 1_800_000_000;
