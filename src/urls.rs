//! The URLs this instance publishes. Every id we mint comes from here.

use std::sync::Arc;
use url::Url;

#[derive(Debug, Clone)]
pub struct Urls {
    base: Arc<Url>,
}

impl Urls {
    /// `base` is `https://DOMAIN/` (or `http://` in development mode).
    pub fn new(base: Url) -> Self {
        Urls {
            base: Arc::new(base),
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `base` joined with `path`. Paths are built here from validated names and numbers, so
    /// joining cannot fail.
    fn at(&self, path: &str) -> Url {
        self.base
            .join(path)
            .expect("path built from validated parts")
    }

    pub fn instance_actor(&self) -> Url {
        self.at("actor")
    }

    pub fn shared_inbox(&self) -> Url {
        self.at("inbox")
    }

    pub fn person(&self, name: &str) -> Url {
        self.at(&format!("u/{name}"))
    }

    pub fn person_inbox(&self, name: &str) -> Url {
        self.at(&format!("u/{name}/inbox"))
    }

    pub fn person_outbox(&self, name: &str) -> Url {
        self.at(&format!("u/{name}/outbox"))
    }

    pub fn community(&self, name: &str) -> Url {
        self.at(&format!("c/{name}"))
    }

    pub fn community_inbox(&self, name: &str) -> Url {
        self.at(&format!("c/{name}/inbox"))
    }

    pub fn community_outbox(&self, name: &str) -> Url {
        self.at(&format!("c/{name}/outbox"))
    }

    pub fn community_followers(&self, name: &str) -> Url {
        self.at(&format!("c/{name}/followers"))
    }

    pub fn community_moderators(&self, name: &str) -> Url {
        self.at(&format!("c/{name}/moderators"))
    }

    pub fn community_featured(&self, name: &str) -> Url {
        self.at(&format!("c/{name}/featured"))
    }

    pub fn post(&self, id: i64) -> Url {
        self.at(&format!("post/{id}"))
    }

    pub fn comment(&self, id: i64) -> Url {
        self.at(&format!("comment/{id}"))
    }

    /// A fresh id for an activity of `kind` (`follow`, `create`…).
    ///
    /// The UUID is time-ordered (version 7), so ids of one kind sort in the order they were
    /// made: each new id goes to the right-hand end of the unique indexes that hold it
    /// (ours in `sent_activities`, a peer's in its received ids), whose last pages stay in
    /// memory. A random UUID sent every insert to a random page of an index that grows
    /// with every activity (docs/performance.md, item 18).
    pub fn new_activity(&self, kind: &str) -> Url {
        self.at(&format!(
            "activities/{}/{}",
            kind.to_ascii_lowercase(),
            uuid::Uuid::now_v7()
        ))
    }

    pub fn nodeinfo(&self) -> Url {
        self.at("nodeinfo/2.1")
    }

    /// The `host[:port]` of a URL, as instances are keyed.
    pub fn domain_of(url: &Url) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Urls;
    use url::Url;

    /// Activity ids of one kind sort as text in the order they were made, so that each goes
    /// to the end of the indexes that hold them.
    #[test]
    fn activity_ids_sort_in_the_order_they_were_made() {
        let urls = Urls::new(Url::parse("https://guild.example/").expect("a URL"));
        let made: Vec<String> = (0..2_000)
            .map(|_| urls.new_activity("Announce").to_string())
            .collect();
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(sorted, made);
        assert!(made[0].starts_with("https://guild.example/activities/announce/"));
    }
}
