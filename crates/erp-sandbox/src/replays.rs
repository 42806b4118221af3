//! Idempotency keys, as vendors that declare one honour them: the first answer to a key is
//! remembered per operation, and a request that repeats the key gets it again without being
//! applied a second time.

use std::collections::HashMap;

use crate::reply::Reply;

/// Which operation (resource and operation index) and which key.
pub(crate) type ReplayId = (usize, usize, String);

/// The remembered answers.
#[derive(Debug, Default)]
pub(crate) struct Replays {
    answers: HashMap<ReplayId, Reply>,
}

impl Replays {
    pub(crate) fn get(&self, id: &ReplayId) -> Option<&Reply> {
        self.answers.get(id)
    }

    /// Remembers `reply` as the answer to `id`, unless it says nothing was done and a retry
    /// may succeed (a 5xx or 429): those keys stay free, as vendors keep them.
    pub(crate) fn remember(&mut self, id: ReplayId, reply: &Reply) {
        if reply.status < 500 && reply.status != 429 {
            self.answers.entry(id).or_insert_with(|| reply.clone());
        }
    }
}
