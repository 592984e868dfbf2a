//! Checks over whole conversations of a framed connection: the server spoke first (an asyncio
//! echo server that greets), every connection ended after QUIT.

use regex::bytes::Regex;

use super::exchange::quote;
use super::Observation;
use crate::analysis::messages::Conversation;
use crate::analysis::observer::Observer;
use crate::analysis::tcp::Direction;
use crate::analysis::Examples;

/// What the conversation must show.
#[derive(Debug)]
pub enum ConversationRule {
    /// The server's message came first.
    ServerFirst,
    /// The client's last message matches, then the server closes (its FIN first).
    EndsAfter(Regex),
}

/// Conversations judged and the first that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationsSeen {
    /// Reported conversations with at least one message.
    pub conversations: u64,
    /// Those that failed: stream and why.
    pub wrong: Examples<(u32, String)>,
}

/// Judges every reported conversation with messages.
#[derive(Debug)]
pub struct Conversations {
    rule: ConversationRule,
    seen: ConversationsSeen,
}

impl Conversations {
    /// Judges by `rule`.
    pub fn new(rule: ConversationRule) -> Conversations {
        Conversations {
            rule,
            seen: ConversationsSeen::default(),
        }
    }
}

impl Observer for Conversations {
    fn conversation(&mut self, c: &Conversation) {
        if !c.matched || c.first_speaker.is_none() {
            return;
        }
        self.seen.conversations += 1;
        let why = match &self.rule {
            ConversationRule::ServerFirst => (c.first_speaker != Some(Direction::ServerToClient))
                .then(|| "the client spoke first".to_string()),
            ConversationRule::EndsAfter(re) => match &c.last_request {
                None => Some("the client sent nothing".to_string()),
                Some(m) if !re.is_match(&m.bytes) => {
                    Some(format!("the client's last message was {}", quote(&m.bytes)))
                }
                Some(_) if !c.closed_by_fin => Some("not closed by FIN from both sides".into()),
                Some(_) if !c.server_closed_first => {
                    Some("the client closed first: the server did not end it".into())
                }
                Some(_) => None,
            },
        };
        if let Some(why) = why {
            self.seen.wrong.add(|| (c.stream, why));
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::Conversations(self.seen)
    }
}
