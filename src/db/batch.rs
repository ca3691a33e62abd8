//! Statements that many inbox activities run at the same moment, each with its own values,
//! run once for all of them: lookups by key (what GraphQL servers call a data loader), and
//! the writes of remote comments, remote votes and received ids (a group commit).
//!
//! A busy inbox has dozens of activities in flight, and each asks the database the same
//! few questions (which community's inbox is this, was this id received before, who is
//! this signer, which post is this?) and ends with the same writes (insert the comment or
//! set the vote; record the id, queue the relays). One round
//! trip each costs both processes a system call, a wake-up and a statement start-up, which
//! was much of the inbox's cost (docs/performance.md, items 13 and 14). A [`Batcher`] runs
//! one statement at a time; what is asked while it runs waits for the next one, which
//! carries all of it (`= ANY($1)` for a lookup, arrays for a write). What is asked while
//! none runs goes at once, alone: an idle server waits for no batch to fill.
//!
//! Only statements that need no surrounding transaction go through here: a batch runs on a
//! connection of its own, and sees and commits what a statement on a fresh pooled
//! connection would.

use super::{
    Connection, DbError, DbPool, DbResult, comments as comment_rows,
    deliveries::{self, Received},
    lower,
    models::{Comment, CommentForm, Community, Person, Post},
    schema::{comments, communities, people, posts, received_activities},
    votes::{self, RemoteVote},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::future::BoxFuture;
use prometheus_client::metrics::histogram::Histogram;
use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::Arc,
};
use tokio::sync::{OnceCell, mpsc, oneshot};

/// At most this many requests go in one statement; the rest wait for the next one.
const MAX_BATCH: usize = 256;

/// Runs the statement for `requests`, answering each in order.
type Run<Q, A> = Arc<dyn Fn(DbPool, Vec<Q>) -> BoxFuture<'static, DbResult<Vec<A>>> + Send + Sync>;

type Reply<A> = oneshot::Sender<Result<A, Arc<DbError>>>;

/// Runs one statement for many requests at a time (see the module's text).
pub struct Batcher<Q, A> {
    pool: DbPool,
    run: Run<Q, A>,
    /// Requests per statement.
    sizes: Histogram,
    /// Started on first use, on the runtime of its first caller.
    queue: OnceCell<mpsc::UnboundedSender<(Q, Reply<A>)>>,
}

impl<Q: Send + 'static, A: Send + 'static> Batcher<Q, A> {
    fn new(pool: DbPool, sizes: Histogram, run: Run<Q, A>) -> Batcher<Q, A> {
        Batcher {
            pool,
            run,
            sizes,
            queue: OnceCell::new(),
        }
    }

    /// The answer to `request`, once the statement that carries it has run.
    pub async fn ask(&self, request: Q) -> DbResult<A> {
        let queue = self
            .queue
            .get_or_init(|| async {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(serve(
                    receiver,
                    self.pool.clone(),
                    self.run.clone(),
                    self.sizes.clone(),
                ));
                sender
            })
            .await;
        let (reply, answer) = oneshot::channel();
        queue
            .send((request, reply))
            .map_err(|_| DbError::Setup("the batched statements have stopped".into()))?;
        match answer.await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(failed)) => Err(DbError::Batch(failed)),
            Err(_) => Err(DbError::Setup("a batched statement was dropped".into())),
        }
    }
}

/// Runs one statement at a time for the requests queued since the last one began. Ends
/// when the batcher is dropped.
async fn serve<Q, A>(
    mut queue: mpsc::UnboundedReceiver<(Q, Reply<A>)>,
    pool: DbPool,
    run: Run<Q, A>,
    sizes: Histogram,
) {
    let mut waiting = Vec::new();
    while queue.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (requests, replies): (Vec<Q>, Vec<Reply<A>>) = waiting.drain(..).unzip();
        sizes.observe(requests.len() as f64);
        let asked = requests.len();
        match run(pool.clone(), requests).await {
            Ok(answers) if answers.len() == asked => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A caller that stopped waiting (its request was dropped) needs no answer.
                    let _ = reply.send(Ok(answer));
                }
            }
            outcome => {
                let failed = Arc::new(outcome.err().unwrap_or_else(|| {
                    DbError::Corrupt(format!("a batch of {asked} got another number of answers"))
                }));
                for reply in replies {
                    let _ = reply.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// A lookup by key: `read` finds the rows of the distinct keys asked for, by key.
fn by_key<V, F, Fut>(read: F) -> Run<String, Option<V>>
where
    V: Clone + Send + 'static,
    F: Fn(DbPool, Vec<String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = DbResult<HashMap<String, V>>> + Send + 'static,
{
    Arc::new(move |pool, keys: Vec<String>| {
        let mut seen = HashSet::with_capacity(keys.len());
        let distinct: Vec<String> = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
        let found = read(pool, distinct);
        Box::pin(async move {
            let found = found.await?;
            Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
        })
    })
}

/// The statements the inbox runs for every activity, batched. One set per instance, in its
/// `Context`, on a pool of their own ([`super::batch_pool`]) of [`InboxBatches::CONNECTIONS`].
pub struct InboxBatches {
    /// Ids of received activities: `Some(())` when the id was received before.
    received: Batcher<String, Option<()>>,
    people: Batcher<String, Option<Person>>,
    /// Local communities by lowercased name, as the inbox paths name them.
    local_communities: Batcher<String, Option<Community>>,
    posts: Batcher<String, Option<Post>>,
    reply_targets: Batcher<String, Option<ReplyTarget>>,
    /// Received ids recorded, with their relays: whether each was new.
    records: Batcher<Received, Written>,
    /// Votes from other servers: whether each one's item exists.
    votes: Batcher<RemoteVote, Written>,
    /// Comments from other servers: the row, when it was new.
    comments: Batcher<CommentForm, Written<Option<Comment>>>,
}

/// What a reply's `inReplyTo` names: a post, or a comment with its post.
pub type ReplyTarget = (Post, Option<Comment>);

impl InboxBatches {
    /// Connections the batches need: each of the eight statements runs one at a time.
    pub const CONNECTIONS: usize = 8;

    /// `pool` should be a [`super::batch_pool`] of [`Self::CONNECTIONS`]; `sizes` gives the histogram of requests per run of each statement, by its name.
    pub fn new(pool: &DbPool, sizes: impl Fn(&str) -> Histogram) -> InboxBatches {
        InboxBatches {
            received: Batcher::new(pool.clone(), sizes("received"), by_key(received_among)),
            people: Batcher::new(pool.clone(), sizes("people"), by_key(people_by_ap_id)),
            local_communities: Batcher::new(
                pool.clone(),
                sizes("local_communities"),
                by_key(local_communities_by_name),
            ),
            posts: Batcher::new(pool.clone(), sizes("posts"), by_key(posts_by_ap_id)),
            reply_targets: Batcher::new(
                pool.clone(),
                sizes("reply_targets"),
                by_key(reply_targets),
            ),
            records: Batcher::new(pool.clone(), sizes("records"), Arc::new(record_all)),
            votes: Batcher::new(pool.clone(), sizes("votes"), Arc::new(vote_all)),
            comments: Batcher::new(pool.clone(), sizes("comments"), Arc::new(insert_comments)),
        }
    }

    /// Whether the activity `ap_id` was received (and processed) before.
    pub async fn was_received(&self, ap_id: &str) -> DbResult<bool> {
        Ok(self.received.ask(ap_id.to_owned()).await?.is_some())
    }

    pub async fn person_by_ap_id(&self, ap_id: &str) -> DbResult<Option<Person>> {
        self.people.ask(ap_id.to_owned()).await
    }

    /// The local community called `name`, in any case.
    pub async fn local_community_by_name(&self, name: &str) -> DbResult<Option<Community>> {
        self.local_communities.ask(name.to_lowercase()).await
    }

    pub async fn post_by_ap_id(&self, ap_id: &str) -> DbResult<Option<Post>> {
        self.posts.ask(ap_id.to_owned()).await
    }

    /// What a reply's `inReplyTo` names, when it is stored here.
    pub async fn reply_target(&self, ap_id: &str) -> DbResult<Option<ReplyTarget>> {
        self.reply_targets.ask(ap_id.to_owned()).await
    }

    /// Records `received` as received and, if it was not received before, stores and queues
    /// its relays: false when it was received before (then nothing is queued).
    pub async fn record_received(&self, received: Received) -> DbResult<bool> {
        self.records.ask(received).await?.map_err(DbError::Batch)
    }

    /// Sets a vote from another server, with its post's or comment's counters (as
    /// `votes::set_post_vote` does): false when the post or comment is gone.
    pub async fn set_remote_vote(&self, vote: RemoteVote) -> DbResult<bool> {
        self.votes.ask(vote).await?.map_err(DbError::Batch)
    }

    /// Inserts a comment from another server, counted on its post and ancestors (as
    /// a local one is): `None` when its ap_id is stored already.
    pub async fn insert_remote_comment(&self, form: CommentForm) -> DbResult<Option<Comment>> {
        self.comments.ask(form).await?.map_err(DbError::Batch)
    }
}

/// The answer of one write of a batch (by default, whether it took effect), or why it failed.
type Written<A = bool> = Result<A, Arc<DbError>>;

/// A write of many items in one statement, answering once per item.
type WriteMany<T, A> = for<'a> fn(&'a mut Connection, &'a [T]) -> BoxFuture<'a, DbResult<Vec<A>>>;

/// Runs `write` for all of `items` at once. Should it fail, it runs for each alone, so that
/// one bad item fails only its own request, with the error it would have had alone.
async fn all_or_each<T, A>(
    conn: &mut Connection,
    items: &[T],
    write: WriteMany<T, A>,
) -> Vec<Written<A>> {
    let failed = match write(conn, items).await {
        Ok(answers) if answers.len() == items.len() => {
            return answers.into_iter().map(Ok).collect();
        }
        Ok(answers) => DbError::Corrupt(format!(
            "{} answers for a batch of {}",
            answers.len(),
            items.len()
        )),
        Err(failed) => failed,
    };
    if items.len() == 1 {
        return vec![Err(Arc::new(failed))];
    }
    tracing::warn!(%failed, count = items.len(), "a batched write failed; writing each alone");
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        answers.push(match write(conn, std::slice::from_ref(item)).await {
            Ok(answer) => answer
                .into_iter()
                .next()
                .ok_or_else(|| Arc::new(DbError::Corrupt("no answer for a write of one".into()))),
            Err(failed) => Err(Arc::new(failed)),
        });
    }
    answers
}

fn record_all(pool: DbPool, received: Vec<Received>) -> BoxFuture<'static, DbResult<Vec<Written>>> {
    Box::pin(async move {
        let mut conn = pool.get().await?;
        Ok(all_or_each(&mut conn, &received, |conn, received| {
            Box::pin(deliveries::record_received(conn, received))
        })
        .await)
    })
}

/// Writes the votes sorted, posts before comments and each by id: the order in which a
/// batch of new comments locks rows (migration 000019), and a lone comment's counting
/// trigger does (its post, then the comments above it), so that they never wait on each
/// other in a cycle.
fn vote_all(pool: DbPool, asked: Vec<RemoteVote>) -> BoxFuture<'static, DbResult<Vec<Written>>> {
    Box::pin(async move {
        let mut order: Vec<usize> = (0..asked.len()).collect();
        order.sort_by_key(|&i| (!asked[i].on_post, asked[i].item_id));
        let sorted: Vec<RemoteVote> = order.iter().map(|&i| asked[i].clone()).collect();
        let mut conn = pool.get().await?;
        let written = all_or_each(&mut conn, &sorted, |conn, votes| {
            Box::pin(votes::set_votes(conn, votes))
        })
        .await;
        let mut answers: Vec<Written> = vec![Ok(false); asked.len()];
        for (answer, i) in written.into_iter().zip(order) {
            answers[i] = answer;
        }
        Ok(answers)
    })
}

fn insert_comments(
    pool: DbPool,
    forms: Vec<CommentForm>,
) -> BoxFuture<'static, DbResult<Vec<Written<Option<Comment>>>>> {
    Box::pin(async move {
        let mut conn = pool.get().await?;
        Ok(all_or_each(&mut conn, &forms, |conn, forms| {
            Box::pin(comment_rows::insert_remote_many(conn, forms))
        })
        .await)
    })
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

/// Keyed by lowercased name. Names are ASCII (`service::valid_name`), where Rust's
/// lowercase and PostgreSQL's `lower` agree.
async fn local_communities_by_name(
    pool: DbPool,
    names: Vec<String>,
) -> DbResult<HashMap<String, Community>> {
    let mut conn = pool.get().await?;
    let found: Vec<Community> = communities::table
        // The bare column, not `local = $1`: only then can a generic plan use the partial
        // index on local names (with a parameter it scans the table).
        .filter(communities::local)
        .filter(lower(communities::name).eq_any(&names))
        .select(Community::as_select())
        .load(&mut conn)
        .await?;
    Ok(found
        .into_iter()
        .map(|c| (c.name.to_lowercase(), c))
        .collect())
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
    let asked: HashSet<&String> = ids.iter().collect();
    for post in posts.into_values() {
        if asked.contains(&post.ap_id) {
            found.entry(post.ap_id.clone()).or_insert((post, None));
        }
    }
    Ok(found)
}
