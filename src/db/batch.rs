//! Lookups that many requests make at the same moment, each for its own key, answered by
//! one statement for all of them (what GraphQL servers call a data loader).
//!
//! A busy inbox has dozens of activities in flight, and each asks the database the same
//! few questions: was this id received before, who is this signer, which post is this? One
//! round trip each costs both processes a system call, a wake-up and a statement start-up,
//! and those round trips were most of the inbox's cost (docs/performance.md, items 13 and 14).
//! A [`Batcher`] runs one statement at a time; the keys asked for while it runs wait for the
//! next one, which asks for all of them with `= ANY($1)`. A key asked for while none runs
//! goes at once, alone: an idle server waits for no batch to fill.
//!
//! Only reads that need no transaction go through here: a batch runs on a connection of
//! its own, so it sees what is committed, as a lookup on a fresh pooled connection would.

use super::{
    DbError, DbPool, DbResult,
    models::{Comment, Person, Post},
    schema::{comments, people, posts, received_activities},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::future::BoxFuture;
use prometheus_client::metrics::histogram::Histogram;
use std::{collections::HashMap, hash::Hash, sync::Arc};
use tokio::sync::{OnceCell, mpsc, oneshot};

/// At most this many keys go in one statement; the rest wait for the next one.
const MAX_BATCH: usize = 256;

/// Reads the rows for `keys`, by key; a key without a row is left out.
type Load<K, V> =
    Arc<dyn Fn(DbPool, Vec<K>) -> BoxFuture<'static, DbResult<HashMap<K, V>>> + Send + Sync>;

type Answer<V> = oneshot::Sender<Result<Option<V>, Arc<DbError>>>;

/// Answers lookups by key, many at a time (see the module's text).
pub struct Batcher<K, V> {
    pool: DbPool,
    load: Load<K, V>,
    /// Keys per statement.
    sizes: Histogram,
    /// Started on first use, on the runtime of its first caller.
    queue: OnceCell<mpsc::UnboundedSender<(K, Answer<V>)>>,
}

impl<K, V> Batcher<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    fn new(pool: DbPool, sizes: Histogram, load: Load<K, V>) -> Batcher<K, V> {
        Batcher {
            pool,
            load,
            sizes,
            queue: OnceCell::new(),
        }
    }

    /// The row for `key`, if there is one.
    pub async fn get(&self, key: K) -> DbResult<Option<V>> {
        let queue = self
            .queue
            .get_or_init(|| async {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(serve(
                    receiver,
                    self.pool.clone(),
                    self.load.clone(),
                    self.sizes.clone(),
                ));
                sender
            })
            .await;
        let (answer, answered) = oneshot::channel();
        queue
            .send((key, answer))
            .map_err(|_| DbError::Setup("the batched lookups have stopped".into()))?;
        match answered.await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(failed)) => Err(DbError::Batch(failed)),
            Err(_) => Err(DbError::Setup("a batched lookup was dropped".into())),
        }
    }
}

/// Runs one statement at a time for the keys queued since the last one began. Ends when the
/// batcher is dropped.
async fn serve<K, V>(
    mut queue: mpsc::UnboundedReceiver<(K, Answer<V>)>,
    pool: DbPool,
    load: Load<K, V>,
    sizes: Histogram,
) where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    let mut waiting = Vec::new();
    while queue.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let mut keys: Vec<K> = waiting.iter().map(|(key, _)| key.clone()).collect();
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        keys.retain(|key| seen.insert(key.clone()));
        sizes.observe(keys.len() as f64);
        let result = load(pool.clone(), keys).await.map_err(Arc::new);
        for (key, answer) in waiting.drain(..) {
            // A caller that stopped waiting (its request was dropped) needs no answer.
            let _ = answer.send(match &result {
                Ok(found) => Ok(found.get(&key).cloned()),
                Err(failed) => Err(failed.clone()),
            });
        }
    }
}

/// The lookups the inbox makes for every activity, batched. One set per instance, in its
/// `Context`.
pub struct InboxReads {
    /// Ids of received activities: `Some(())` when the id was received before.
    received: Batcher<String, ()>,
    people: Batcher<String, Person>,
    posts: Batcher<String, Post>,
    reply_targets: Batcher<String, ReplyTarget>,
}

/// What a reply's `inReplyTo` names: a post, or a comment with its post.
pub type ReplyTarget = (Post, Option<Comment>);

impl InboxReads {
    /// `sizes` gives each lookup's histogram of keys per statement, by its name.
    pub fn new(pool: &DbPool, sizes: impl Fn(&str) -> Histogram) -> InboxReads {
        InboxReads {
            received: Batcher::new(
                pool.clone(),
                sizes("received"),
                Arc::new(|pool, ids| Box::pin(received_among(pool, ids))),
            ),
            people: Batcher::new(
                pool.clone(),
                sizes("people"),
                Arc::new(|pool, ids| Box::pin(people_by_ap_id(pool, ids))),
            ),
            posts: Batcher::new(
                pool.clone(),
                sizes("posts"),
                Arc::new(|pool, ids| Box::pin(posts_by_ap_id(pool, ids))),
            ),
            reply_targets: Batcher::new(
                pool.clone(),
                sizes("reply_targets"),
                Arc::new(|pool, ids| Box::pin(reply_targets(pool, ids))),
            ),
        }
    }

    /// Whether the activity `ap_id` was received (and processed) before.
    pub async fn was_received(&self, ap_id: &str) -> DbResult<bool> {
        Ok(self.received.get(ap_id.to_owned()).await?.is_some())
    }

    pub async fn person_by_ap_id(&self, ap_id: &str) -> DbResult<Option<Person>> {
        self.people.get(ap_id.to_owned()).await
    }

    pub async fn post_by_ap_id(&self, ap_id: &str) -> DbResult<Option<Post>> {
        self.posts.get(ap_id.to_owned()).await
    }

    /// What a reply's `inReplyTo` names, when it is stored here.
    pub async fn reply_target(&self, ap_id: &str) -> DbResult<Option<ReplyTarget>> {
        self.reply_targets.get(ap_id.to_owned()).await
    }
}

async fn received_among(pool: DbPool, ids: Vec<String>) -> DbResult<HashMap<String, ()>> {
    let mut conn = pool.get().await?;
    let found: Vec<String> = received_activities::table
        .filter(received_activities::ap_id.eq_any(&ids))
        .select(received_activities::ap_id)
        .load(&mut conn)
        .await?;
    Ok(found.into_iter().map(|id| (id, ())).collect())
}

async fn people_by_ap_id(pool: DbPool, ids: Vec<String>) -> DbResult<HashMap<String, Person>> {
    let mut conn = pool.get().await?;
    let found: Vec<Person> = people::table
        .filter(people::ap_id.eq_any(&ids))
        .select(Person::as_select())
        .load(&mut conn)
        .await?;
    Ok(found.into_iter().map(|p| (p.ap_id.clone(), p)).collect())
}

async fn posts_by_ap_id(pool: DbPool, ids: Vec<String>) -> DbResult<HashMap<String, Post>> {
    let mut conn = pool.get().await?;
    let found: Vec<Post> = posts::table
        .filter(posts::ap_id.eq_any(&ids))
        .select(Post::as_select())
        .load(&mut conn)
        .await?;
    Ok(found.into_iter().map(|p| (p.ap_id.clone(), p)).collect())
}

/// Posts named by `ids`, and comments named by `ids` with their posts. Two statements: as
/// one, the test "named, or the post of a named comment" made PostgreSQL scan every post.
async fn reply_targets(pool: DbPool, ids: Vec<String>) -> DbResult<HashMap<String, ReplyTarget>> {
    let mut conn = pool.get().await?;
    let named_comments: Vec<Comment> = comments::table
        .filter(comments::ap_id.eq_any(&ids))
        .select(Comment::as_select())
        .load(&mut conn)
        .await?;
    let their_posts: Vec<i64> = named_comments.iter().map(|c| c.post_id).collect();
    let posts: HashMap<i64, Post> = posts::table
        .filter(posts::ap_id.eq_any(&ids).or(posts::id.eq_any(&their_posts)))
        .select(Post::as_select())
        .load::<Post>(&mut conn)
        .await?
        .into_iter()
        .map(|post| (post.id, post))
        .collect();
    let mut found = HashMap::with_capacity(ids.len());
    // Should a post and a comment carry the same id, the comment wins, as it always has.
    for comment in named_comments {
        if let Some(post) = posts.get(&comment.post_id) {
            found.insert(comment.ap_id.clone(), (post.clone(), Some(comment)));
        }
    }
    let asked: std::collections::HashSet<&String> = ids.iter().collect();
    for post in posts.into_values() {
        if asked.contains(&post.ap_id) {
            found.entry(post.ap_id.clone()).or_insert((post, None));
        }
    }
    Ok(found)
}
