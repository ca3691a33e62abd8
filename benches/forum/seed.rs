//! Bulk seeding in SQL, into the real schema.
//!
//! The site, its instance actor, one administrator and the first community are made by the
//! `guild` commands themselves, so everything the application sets up on its own is as it
//! would be. The rest is generated with `INSERT … SELECT generate_series` from formulas of
//! the row number (no randomness: two seeds at one scale are identical), then every stored
//! counter and rank is recomputed from the rows, as the application keeps them:
//!
//! - posts: `upvotes`, `downvotes`, `score` from `post_votes`; `comment_count` (comments
//!   neither deleted nor removed), `newest_comment_at` (its newest comment, or when it was
//!   published); `hot_rank` and `active_rank` with the database's own `guild_hot_rank`;
//!   the sort keys `sort_score` and `sort_comment_count` equal to the counters;
//! - comments: `upvotes`, `downvotes`, `score` from `comment_votes`; `ancestors` (root
//!   first) and `reply_count` (descendants).
//!
//! Secondary indexes are dropped for the load and built again afterwards (from their
//! definitions as the migrations made them), then the tables are analysed.
//!
//! Keys: local actors share the keys `guild` made for the administrator and the first
//! community (making 100,000 RSA keys would take longer than the rest of the seed); remote
//! people use one of [`KEYS`] keys derived from a fixed seed, which the load step derives
//! again to sign their activities. The server verifies each signature for real.

use super::Scale;
use diesel::{
    dsl::sql,
    sql_types::{BigInt, Text},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{SeedableRng, rngs::StdRng};
use rsa::{RsaPrivateKey, pkcs8::EncodePublicKey};
use serde_json::{Value, json};
use std::{process::Stdio, time::Instant};
use tokio::io::AsyncWriteExt;

/// Distinct RSA keys among the remote people.
pub const KEYS: u64 = 16;
/// How far back posts go.
const SPAN_SECONDS: i64 = 180 * 24 * 3600;
/// The post that gets exactly this many comments, for the thread page.
pub const THREAD_COMMENTS: i64 = 500;
/// The administrator `guild user create` makes, and the first community's name stem.
const ADMIN: &str = "bench_admin";
pub const COMMUNITY_STEM: &str = "community_";

/// The remote people's keys, the same on every call.
pub fn remote_keys() -> Vec<RsaPrivateKey> {
    (0..KEYS)
        .map(|i| {
            let mut rng = StdRng::seed_from_u64(0x6775_696c_6400 + i);
            RsaPrivateKey::new(&mut rng, 2048).expect("RSA key")
        })
        .collect()
}

pub fn public_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .expect("PEM")
}

/// Peer instances the remote people live on.
fn peers(scale: &Scale) -> i64 {
    (scale.people / 1000).clamp(2, 100)
}

/// A multiplier that permutes `0..n` (a prime that does not divide `n`).
fn permuter(n: i64, skip: usize) -> i64 {
    [7919, 104_729, 1_299_709, 15_485_863, 179_424_673]
        .into_iter()
        .filter(|p| n % p != 0)
        .nth(skip)
        .expect("a prime that does not divide the count")
}

/// Cumulative count of `total` items spread over `n` slots so that slot `i` gets about
/// `2·total·i/n²` (a ramp: some posts are busy, many quiet), exactly `total` in all.
fn ramp_cumulative(total: i64, n: i64, i: i64) -> i64 {
    (total as i128 * (i as i128) * (i as i128) / ((n as i128) * (n as i128))) as i64
}

/// Cumulative comments before post slot `i`: slot 0 holds the thread of
/// [`THREAD_COMMENTS`], the rest follow the ramp over slots 1.. .
fn comment_cumulative(scale: &Scale, i: i64) -> i64 {
    if i <= 0 {
        0
    } else {
        THREAD_COMMENTS + ramp_cumulative(scale.comments - THREAD_COMMENTS, scale.posts - 1, i - 1)
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>24} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, {eta})",
        )
        .expect("template"),
    );
    bar.set_message(what.to_string());
    bar
}

fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{elapsed_precise}] {spinner}").expect("template"),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub async fn exec(conn: &mut AsyncPgConnection, query: &str) -> Result<usize, String> {
    diesel::sql_query(query)
        .execute(conn)
        .await
        .map_err(|e| format!("{e}\nin: {}", &query[..query.len().min(600)]))
}

pub async fn scalar(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    diesel::select(sql::<BigInt>(&format!("({query})")))
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

async fn text(conn: &mut AsyncPgConnection, query: &str) -> String {
    diesel::select(sql::<Text>(&format!("({query})")))
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// Timings of the steps, for the summary.
struct Steps {
    started: Instant,
    timings: serde_json::Map<String, Value>,
}

impl Steps {
    fn done(&mut self, name: &str, since: Instant) {
        let seconds = since.elapsed().as_secs_f64();
        println!("{name}: {seconds:.1} s");
        self.timings
            .insert(name.into(), json!((seconds * 10.0).round() / 10.0));
    }
}

pub async fn seed(
    database_url: &str,
    database: &str,
    scale: &Scale,
    port: u16,
) -> Result<Value, String> {
    assert!(scale.posts >= 2 && scale.comments >= THREAD_COMMENTS && scale.communities >= 1);
    let mut steps = Steps {
        started: Instant::now(),
        timings: serde_json::Map::new(),
    };
    let domain = format!("localhost:{port}");
    println!(
        "seeding {database} for {domain}: {} communities, {} people, {} posts, {} comments, {} votes",
        scale.communities, scale.people, scale.posts, scale.comments, scale.votes
    );

    let step = Instant::now();
    let mut admin_url = url::Url::parse(database_url).map_err(|e| e.to_string())?;
    admin_url.set_path("/postgres");
    let mut admin = AsyncPgConnection::establish(admin_url.as_str())
        .await
        .map_err(|e| format!("connect to {admin_url}: {e}"))?;
    exec(
        &mut admin,
        &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
    )
    .await?;
    exec(&mut admin, &format!("CREATE DATABASE {database}")).await?;
    drop(admin);

    // The application's own set-up: migrations, site, instance actor, an admin, a community.
    let mut create_admin = super::server::guild_command(database_url, &domain)
        .args(["user", "create", ADMIN, "--admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("run guild user create: {e}"))?;
    if let Some(mut stdin) = create_admin.stdin.take() {
        stdin
            .write_all(b"bench-password-not-secret\n")
            .await
            .map_err(|e| e.to_string())?;
    }
    let status = create_admin.wait().await.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("guild user create failed: {status}"));
    }
    let first = format!("{COMMUNITY_STEM}0");
    let status = super::server::guild_command(database_url, &domain)
        .args([
            "community",
            "create",
            &first,
            "--title",
            "Community 0",
            "--moderator",
            ADMIN,
        ])
        .stdout(Stdio::null())
        .status()
        .await
        .map_err(|e| format!("run guild community create: {e}"))?;
    if !status.success() {
        return Err(format!("guild community create failed: {status}"));
    }
    steps.done("set_up_with_guild_commands", step);

    let step = Instant::now();
    let keys = remote_keys();
    let key_array = keys
        .iter()
        .map(|k| format!("'{}'", public_pem(k)))
        .collect::<Vec<_>>()
        .join(",");
    steps.done("remote_keys", step);

    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .map_err(|e| format!("connect to {database}: {e}"))?;
    // A bench database: losing the last transactions to a crash costs nothing.
    exec(&mut conn, "SET synchronous_commit = off").await?;
    exec(&mut conn, "SET work_mem = '256MB'").await?;
    exec(&mut conn, "SET maintenance_work_mem = '512MB'").await?;

    let admin_id = scalar(
        &mut conn,
        &format!("SELECT id FROM people WHERE name = '{ADMIN}' AND local"),
    )
    .await;
    let first_community = scalar(
        &mut conn,
        &format!("SELECT id FROM communities WHERE name = '{first}'"),
    )
    .await;
    if scalar(&mut conn, "SELECT max(id) FROM communities").await != first_community
        || scalar(&mut conn, "SELECT count(*) FROM posts").await != 0
    {
        return Err("the new database is not as guild left it".into());
    }
    let base_url = format!("http://{domain}/");

    // Indexes other than primary keys and unique constraints go for the load.
    let step = Instant::now();
    let tables = "'people','communities','community_follows','posts','comments','post_votes','comment_votes','local_accounts'";
    let indexes: Vec<(String, String)> = diesel::sql_query(format!(
        "SELECT indexname AS name, indexdef AS def FROM pg_indexes i
         WHERE schemaname = 'public' AND tablename IN ({tables})
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    ))
    .load::<IndexDef>(&mut conn)
    .await
    .map_err(|e| e.to_string())?
    .into_iter()
    .map(|i| (i.name, i.def))
    .collect();
    for (name, _) in &indexes {
        exec(&mut conn, &format!("DROP INDEX {name}")).await?;
    }
    steps.done("drop_indexes", step);

    // Peer instances and people.
    let step = Instant::now();
    let d = peers(scale);
    exec(
        &mut conn,
        &format!(
            "INSERT INTO instances (domain, software, software_version, last_seen_at)
             SELECT 'peer' || d || '.localhost', 'guild', '0.1.0', now() FROM generate_series(0, {}) d",
            d - 1
        ),
    )
    .await?;
    let base_person = scalar(&mut conn, "SELECT max(id) FROM people").await;
    let n = scale.people;
    let bar_people = bar(n as u64, "people");
    let batch = 20_000;
    let mut lo = 1;
    while lo <= n {
        let hi = (lo + batch - 1).min(n);
        // Every tenth person is local (an account here); the others live on the peers.
        exec(
            &mut conn,
            &format!(
                "INSERT INTO people (id, ap_id, instance_id, local, name, display_name, bio_source,
                    bio_html, inbox_url, shared_inbox_url, outbox_url, followers_url, public_key,
                    private_key, published_at, last_refreshed_at)
                 SELECT {base_person} + s.g, s.root || 'u/person_' || s.g, i.id, s.loc,
                    'person_' || s.g, 'Person ' || s.g, 'I practise craft ' || (s.g % 97) || '.',
                    '<p>I practise craft ' || (s.g % 97) || '.</p>',
                    s.root || 'u/person_' || s.g || '/inbox', s.root || 'inbox',
                    s.root || 'u/person_' || s.g || '/outbox',
                    CASE WHEN s.loc THEN NULL ELSE s.root || 'u/person_' || s.g || '/followers' END,
                    CASE WHEN s.loc THEN a.public_key ELSE (ARRAY[{key_array}])[(s.g % {KEYS}) + 1] END,
                    CASE WHEN s.loc THEN a.private_key END,
                    now() - make_interval(secs => 400 * 86400 * ({n} - s.g)::float8 / {n}),
                    now()
                 FROM (SELECT g, g % 10 = 0 AS loc,
                              CASE WHEN g % 10 = 0 THEN '{base_url}'
                                   ELSE 'http://peer' || (g % {d}) || '.localhost/' END AS root,
                              CASE WHEN g % 10 = 0 THEN '{domain}'
                                   ELSE 'peer' || (g % {d}) || '.localhost' END AS host
                       FROM generate_series({lo}, {hi}) g) s
                 JOIN instances i ON i.domain = s.host
                 CROSS JOIN (SELECT public_key, private_key FROM people WHERE id = {admin_id}) a"
            ),
        )
        .await?;
        bar_people.inc((hi - lo + 1) as u64);
        lo = hi + 1;
    }
    exec(
        &mut conn,
        &format!("INSERT INTO local_accounts (person_id) SELECT id FROM people WHERE local AND id > {base_person}"),
    )
    .await?;
    bar_people.finish();
    steps.done("people", step);

    // Communities: copies of the first one, with its keys and its moderator.
    let step = Instant::now();
    let c = scale.communities;
    let base_community = first_community;
    exec(
        &mut conn,
        &format!(
            "INSERT INTO communities (id, ap_id, instance_id, local, name, title, description_source,
                description_html, inbox_url, shared_inbox_url, outbox_url, followers_url,
                moderators_url, featured_url, public_key, private_key, published_at, topic)
             SELECT {base_community} + g, replace(c.ap_id, '/c/{first}', '/c/{COMMUNITY_STEM}' || g),
                c.instance_id, true, '{COMMUNITY_STEM}' || g, 'Community ' || g,
                'Practitioners of craft ' || g || ' meet here.',
                '<p>Practitioners of craft ' || g || ' meet here.</p>',
                replace(c.inbox_url, '/c/{first}/', '/c/{COMMUNITY_STEM}' || g || '/'), c.shared_inbox_url,
                replace(c.outbox_url, '/c/{first}/', '/c/{COMMUNITY_STEM}' || g || '/'),
                replace(c.followers_url, '/c/{first}/', '/c/{COMMUNITY_STEM}' || g || '/'),
                replace(c.moderators_url, '/c/{first}/', '/c/{COMMUNITY_STEM}' || g || '/'),
                replace(c.featured_url, '/c/{first}/', '/c/{COMMUNITY_STEM}' || g || '/'),
                c.public_key, c.private_key, c.published_at, 'topic ' || (g % 12)
             FROM communities c CROSS JOIN generate_series(1, {}) g WHERE c.id = {first_community}",
            c - 1
        ),
    )
    .await?;
    exec(
        &mut conn,
        &format!(
            "INSERT INTO community_moderators (community_id, person_id)
             SELECT id, {admin_id} FROM communities WHERE id > {first_community}"
        ),
    )
    .await?;
    // Each person follows up to three communities, spread evenly.
    let follows = c.min(3);
    let stride = c / follows;
    exec(
        &mut conn,
        &format!(
            "INSERT INTO community_follows (community_id, person_id, pending)
             SELECT {base_community} + ((g + k * {stride}) % {c}), {base_person} + g, false
             FROM generate_series(1::bigint, {n}) g CROSS JOIN generate_series(0, {}) k",
            follows - 1
        ),
    )
    .await?;
    steps.done("communities_and_follows", step);

    // Posts: ids in publication order over SPAN_SECONDS; popular communities get more.
    let step = Instant::now();
    let p = scale.posts;
    let base_post = scalar(&mut conn, "SELECT coalesce(max(id), 0) FROM posts").await;
    // The posts' triggers rank each new post and mark each post whose counters move; the
    // load sets both from the rows itself (POST_COUNTERS).
    exec(&mut conn, "ALTER TABLE posts DISABLE TRIGGER USER").await?;
    let bar_posts = bar(p as u64, "posts");
    let batch = 50_000;
    let mut lo = 1;
    while lo <= p {
        let hi = (lo + batch - 1).min(p);
        exec(
            &mut conn,
            &format!(
                "INSERT INTO posts (id, ap_id, community_id, author_id, local, title, body_source,
                    body_html, published_at, newest_comment_at)
                 SELECT {base_post} + s.k,
                    CASE WHEN s.a % 10 = 0 THEN '{base_url}' ELSE 'http://peer' || (s.a % {d}) || '.localhost/' END
                        || 'post/' || ({base_post} + s.k),
                    {base_community} + floor({c} * s.r * s.r)::bigint, {base_person} + s.a, s.a % 10 = 0,
                    'Post ' || s.k || ': notes on ' || (ARRAY['drafting','feedback','mentoring','maps',
                        'speaking','planning','facilitation','volunteers'])[(s.k % 8 + 1)::int],
                    'What I learnt this week, part ' || s.k || '. *Comments welcome.*',
                    '<p>What I learnt this week, part ' || s.k || '. <em>Comments welcome.</em></p>',
                    s.t, s.t
                 FROM (SELECT k, ((k * 2654435761) % 4294967296) / 4294967296.0 AS r,
                              (k * 7919) % {n} + 1 AS a,
                              now() - make_interval(secs => ({p} - k) * {SPAN_SECONDS}::float8 / {p}) AS t
                       FROM generate_series({lo}::bigint, {hi}) k) s"
            ),
        )
        .await?;
        bar_posts.inc((hi - lo + 1) as u64);
        lo = hi + 1;
    }
    bar_posts.finish();
    steps.done("posts", step);

    // Comments: post slot i (post number (i·prime mod P) + 1) gets comment_cumulative(i+1) -
    // comment_cumulative(i) of them, with consecutive ids. In a thread, comment j is
    // top-level when j is a multiple of 4 and otherwise answers comment j/2.
    let step = Instant::now();
    let m = scale.comments;
    let base_comment = scalar(&mut conn, "SELECT coalesce(max(id), 0) FROM comments").await;
    let post_prime = permuter(p, 0);
    let thread_post = base_post + 1;
    exec(
        &mut conn,
        &format!(
            "CREATE FUNCTION pg_temp.bench_comment_cum(i bigint) RETURNS bigint
             LANGUAGE sql IMMUTABLE AS $$
               SELECT CASE WHEN i <= 0 THEN 0 ELSE {THREAD_COMMENTS}
                 + div(({m} - {THREAD_COMMENTS})::numeric * (i - 1) * (i - 1), ({p} - 1)::numeric * ({p} - 1))::bigint END
             $$"
        ),
    )
    .await?;
    exec(
        &mut conn,
        "CREATE FUNCTION pg_temp.bench_ancestors(first bigint, j bigint) RETURNS bigint[]
         LANGUAGE plpgsql IMMUTABLE AS $$
           DECLARE chain bigint[] := '{}'; k bigint := j;
           BEGIN
             WHILE k % 4 <> 0 LOOP
               k := k / 2;
               chain := (first + k) || chain;
             END LOOP;
             RETURN chain;
           END $$",
    )
    .await?;
    // The counters are computed from the rows below: the INSERT's own counting (a trigger,
    // one posts UPDATE per comment) would only slow the load.
    exec(&mut conn, "ALTER TABLE comments DISABLE TRIGGER USER").await?;
    let bar_comments = bar(m as u64, "comments");
    let mut lo = 0;
    while lo < p {
        // About 100,000 comments a batch.
        let mut hi = lo;
        while hi + 1 < p
            && comment_cumulative(scale, hi + 1) - comment_cumulative(scale, lo) < 100_000
        {
            hi += 1;
        }
        exec(
            &mut conn,
            &format!(
                "INSERT INTO comments (id, ap_id, post_id, parent_id, author_id, local, body_source,
                    body_html, published_at, ancestors)
                 SELECT s.id,
                    CASE WHEN s.a % 10 = 0 THEN '{base_url}' ELSE 'http://peer' || (s.a % {d}) || '.localhost/' END
                        || 'comment/' || s.id,
                    {base_post} + s.k,
                    CASE WHEN s.j % 4 = 0 THEN NULL ELSE s.first + s.j / 2 END,
                    {base_person} + s.a, s.a % 10 = 0,
                    'Reply ' || s.j || ' (bench comment ' || s.id || ')',
                    '<p>Reply ' || s.j || ' (bench comment ' || s.id || ')</p>',
                    least(now(), now() - make_interval(secs => ({p} - s.k) * {SPAN_SECONDS}::float8 / {p})
                                 + make_interval(mins => (s.j + 1)::int)),
                    pg_temp.bench_ancestors(s.first, s.j)
                 FROM (SELECT t.first + j AS id, t.first, j, t.k, ((t.first + j) * 104729) % {n} + 1 AS a
                       FROM (SELECT {base_comment} + 1 + pg_temp.bench_comment_cum(i) AS first,
                                    pg_temp.bench_comment_cum(i + 1) - pg_temp.bench_comment_cum(i) AS cnt,
                                    (i * {post_prime}) % {p} + 1 AS k
                             FROM generate_series({lo}::bigint, {hi}) i) t
                       CROSS JOIN LATERAL generate_series(0, t.cnt - 1) j) s"
            ),
        )
        .await?;
        bar_comments.set_position(comment_cumulative(scale, hi + 1) as u64);
        lo = hi + 1;
    }
    bar_comments.finish();
    exec(&mut conn, "ALTER TABLE comments ENABLE TRIGGER USER").await?;
    steps.done("comments", step);

    // Votes: 40 % on posts, 60 % on comments, each item's voters consecutive people (so no
    // one votes twice on one item), about one in five a downvote.
    let step = Instant::now();
    let post_votes = scale.votes * 2 / 5;
    let comment_votes = scale.votes - post_votes;
    for (table, item, total, items, base_item, prime) in [
        (
            "post_votes",
            "post_id",
            post_votes,
            p,
            base_post,
            permuter(p, 1),
        ),
        (
            "comment_votes",
            "comment_id",
            comment_votes,
            m,
            base_comment,
            permuter(m, 2),
        ),
    ] {
        let busiest =
            ramp_cumulative(total, items, items) - ramp_cumulative(total, items, items - 1);
        if busiest > n {
            return Err(format!(
                "{table}: {busiest} votes on one item, but only {n} people"
            ));
        }
        let bar_votes = bar(total as u64, table);
        let mut lo = 0;
        while lo < items {
            let mut hi = lo;
            let mut step_items = 1;
            while hi + 1 < items
                && ramp_cumulative(total, items, hi + 1) - ramp_cumulative(total, items, lo)
                    < 250_000
            {
                hi = (hi + step_items).min(items - 1);
                step_items = (step_items * 2).min(4096);
            }
            exec(
                &mut conn,
                &format!(
                    "INSERT INTO {table} ({item}, person_id, score, created_at)
                     SELECT {base_item} + (i * {prime}) % {items} + 1,
                            {base_person} + ((i * 7919 + j) % {n}) + 1,
                            CASE WHEN (i + j) % 5 = 0 THEN -1 ELSE 1 END, now()
                     FROM generate_series({lo}::bigint, {hi}) i
                     CROSS JOIN LATERAL generate_series(1,
                        div({total}::numeric * (i + 1) * (i + 1), {items}::numeric * {items})::bigint
                        - div({total}::numeric * i * i, {items}::numeric * {items})::bigint) j"
                ),
            )
            .await?;
            bar_votes.set_position(ramp_cumulative(total, items, hi + 1) as u64);
            lo = hi + 1;
        }
        bar_votes.finish();
    }
    steps.done("votes", step);

    // The ids of the activities received in the last week, which the inbox keeps
    // (`received_retention_days`) to refuse replays: as many as a week's share of the
    // comments and votes. Without them the table would be analysed empty, and the inbox's
    // replay check would be planned as a scan of a table that grows through the run.
    let step = Instant::now();
    let received = (scale.comments + scale.votes) * 7 * 24 * 3600 / SPAN_SECONDS;
    exec(
        &mut conn,
        &format!(
            "INSERT INTO received_activities (ap_id, received_at)
             SELECT 'https://peer' || (k % {d}) || '.localhost/activities/' || k,
                    now() - make_interval(secs => k * 604800.0 / {received})
             FROM generate_series(1, {received}) k"
        ),
    )
    .await?;
    steps.done("received_ids", step);

    // Counters and ranks, from the rows.
    let step = Instant::now();
    let counting = spinner("post counters, ranks");
    exec(&mut conn, POST_COUNTERS).await?;
    exec(&mut conn, "ALTER TABLE posts ENABLE TRIGGER USER").await?;
    counting.finish();
    let counting = spinner("comment counters");
    exec(&mut conn, COMMENT_COUNTERS).await?;
    counting.finish();
    steps.done("counters_and_ranks", step);

    let step = Instant::now();
    for name in ["people", "communities", "posts", "comments"] {
        exec(
            &mut conn,
            &format!("SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"),
        )
        .await?;
    }
    let bar_indexes = bar(indexes.len() as u64, "indexes");
    for (name, def) in &indexes {
        bar_indexes.set_message(name.clone());
        exec(&mut conn, def).await?;
        bar_indexes.inc(1);
    }
    bar_indexes.finish();
    steps.done("indexes", step);

    let step = Instant::now();
    let analysing = spinner("vacuum analyze");
    exec(&mut conn, "VACUUM ANALYZE").await?;
    analysing.finish();
    steps.done("vacuum_analyze", step);

    // The ranks decay with time and a large seed takes long: bring them to now, as the
    // server's scheduled refresh does, and check them in the same transaction, where now()
    // stands still (a check of 40 s once saw two posts cross the 7-day line meanwhile).
    exec(&mut conn, "BEGIN").await?;
    exec(&mut conn, REFRESH_RANKS).await?;
    let step = Instant::now();
    let problems = check(&mut conn, scale).await;
    exec(&mut conn, "COMMIT").await?;
    steps.done("check", step);
    if !problems.is_empty() {
        return Err(format!(
            "the seeded data is inconsistent: {}",
            problems.join("; ")
        ));
    }
    let thread_count = scalar(
        &mut conn,
        &format!("SELECT comment_count::bigint FROM posts WHERE id = {thread_post}"),
    )
    .await;
    if thread_count != THREAD_COMMENTS {
        return Err(format!(
            "post {thread_post} has {thread_count} comments, not {THREAD_COMMENTS}"
        ));
    }
    let size = text(
        &mut conn,
        "SELECT pg_size_pretty(pg_database_size(current_database()))",
    )
    .await;
    let total = steps.started.elapsed().as_secs_f64();
    println!("seeded in {total:.0} s; database size {size}");
    Ok(json!({
        "seconds": (total * 10.0).round() / 10.0,
        "steps": steps.timings,
        "database_size": size,
        "thread_post_id": thread_post,
        "domain": domain,
    }))
}

#[derive(diesel::QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

const POST_COUNTERS: &str = "
UPDATE posts p SET upvotes = x.up, downvotes = x.down, score = x.up - x.down,
    comment_count = x.comments, newest_comment_at = x.newest,
    sort_score = x.up - x.down, sort_comment_count = x.comments,
    hot_rank = guild_hot_rank((x.up - x.down)::int, p.published_at),
    active_rank = guild_hot_rank((x.up - x.down)::int, x.newest)
FROM (
    SELECT q.id, coalesce(v.up, 0)::int AS up, coalesce(v.down, 0)::int AS down,
           coalesce(c.n, 0)::int AS comments, greatest(q.published_at, c.newest) AS newest
    FROM posts q
    LEFT JOIN (SELECT post_id, count(*) FILTER (WHERE score = 1) AS up,
                      count(*) FILTER (WHERE score = -1) AS down
               FROM post_votes GROUP BY post_id) v ON v.post_id = q.id
    LEFT JOIN (SELECT post_id, count(*) FILTER (WHERE NOT deleted AND NOT removed) AS n,
                      max(published_at) AS newest
               FROM comments GROUP BY post_id) c ON c.post_id = q.id
) x WHERE p.id = x.id";

/// What `db::posts::refresh_ranks` does in chunks, in one statement: nothing else writes
/// during the seed.
const REFRESH_RANKS: &str = "
UPDATE posts SET hot_rank = guild_hot_rank(score, published_at),
                 active_rank = guild_hot_rank(score, newest_comment_at),
                 sort_score = score, sort_comment_count = comment_count
WHERE hot_rank <> 0 OR active_rank <> 0
   OR published_at > now() - interval '7 days' OR newest_comment_at > now() - interval '7 days'";

const COMMENT_COUNTERS: &str = "
UPDATE comments c SET upvotes = x.up, downvotes = x.down, score = x.up - x.down,
    reply_count = x.replies
FROM (
    SELECT coalesce(v.comment_id, r.id) AS id, coalesce(v.up, 0)::int AS up,
           coalesce(v.down, 0)::int AS down, coalesce(r.n, 0)::int AS replies
    FROM (SELECT comment_id, count(*) FILTER (WHERE score = 1) AS up,
                 count(*) FILTER (WHERE score = -1) AS down
          FROM comment_votes GROUP BY comment_id) v
    FULL JOIN (SELECT a AS id, count(*) AS n FROM comments d, unnest(d.ancestors) a
               WHERE NOT d.deleted AND NOT d.removed GROUP BY a) r ON r.id = v.comment_id
) x WHERE c.id = x.id";

/// Row counts as the scale asks, and every counter equal to a count of its rows. Returns
/// what is wrong.
pub async fn check(conn: &mut AsyncPgConnection, scale: &Scale) -> Vec<String> {
    let mut problems = Vec::new();
    // Ranks decay with time (the server refreshes them), so only right after the seed.
    let stale = scalar(
        conn,
        "SELECT count(*) FROM posts
         WHERE abs(hot_rank - guild_hot_rank(score, published_at)) > 0.01 * hot_rank + 0.001
            OR abs(active_rank - guild_hot_rank(score, newest_comment_at)) > 0.01 * active_rank + 0.001",
    )
    .await;
    if stale != 0 {
        problems.push(format!("ranks: {stale} posts disagree with guild_hot_rank"));
    }
    for (what, query, expected) in [
        (
            "communities",
            "SELECT count(*) FROM communities",
            scale.communities,
        ),
        (
            "seeded people",
            "SELECT count(*) FROM people WHERE name LIKE 'person\\_%'",
            scale.people,
        ),
        ("posts", "SELECT count(*) FROM posts", scale.posts),
        ("comments", "SELECT count(*) FROM comments", scale.comments),
        (
            "votes",
            "SELECT (SELECT count(*) FROM post_votes) + (SELECT count(*) FROM comment_votes)",
            scale.votes,
        ),
    ] {
        let found = scalar(conn, query).await;
        if found != expected {
            problems.push(format!("{what}: {found}, expected {expected}"));
        }
    }
    problems.extend(counter_mismatches(conn).await);
    problems
}

/// Counters that differ from their rows (also after the inbox step has added to them).
pub async fn counter_mismatches(conn: &mut AsyncPgConnection) -> Vec<String> {
    let mut problems = Vec::new();
    for (what, query) in [
        (
            "community subscribers",
            "SELECT count(*) FROM communities c LEFT JOIN (SELECT community_id, count(*) AS n
                 FROM community_follows WHERE NOT pending GROUP BY community_id) f
                 ON f.community_id = c.id WHERE c.subscribers <> coalesce(f.n, 0)",
        ),
        (
            "post scores",
            "SELECT count(*) FROM posts p LEFT JOIN (SELECT post_id, sum(score) AS s,
                 count(*) FILTER (WHERE score = 1) AS up FROM post_votes GROUP BY post_id) v
             ON v.post_id = p.id WHERE p.score <> coalesce(v.s, 0) OR p.upvotes <> coalesce(v.up, 0)",
        ),
        (
            "post comment counts",
            "SELECT count(*) FROM posts p LEFT JOIN (SELECT post_id, count(*) AS n FROM comments
                 WHERE NOT deleted AND NOT removed GROUP BY post_id) c ON c.post_id = p.id
             WHERE p.comment_count <> coalesce(c.n, 0)",
        ),
        (
            // A post whose sort keys lag its counters must be marked for the next fold.
            "post sort keys",
            "SELECT count(*) FROM posts p
             WHERE (p.sort_score <> p.score OR p.sort_comment_count <> p.comment_count)
               AND NOT EXISTS (SELECT 1 FROM posts_to_rank m WHERE m.post_id = p.id)",
        ),
        (
            "comment scores",
            "SELECT count(*) FROM comments c JOIN (SELECT comment_id, sum(score) AS s
                 FROM comment_votes GROUP BY comment_id) v ON v.comment_id = c.id
             WHERE c.score <> v.s",
        ),
        (
            "reply counts",
            "SELECT count(*) FROM comments c LEFT JOIN (SELECT a, count(*) AS n
                 FROM comments d, unnest(d.ancestors) a WHERE NOT d.deleted AND NOT d.removed
                 GROUP BY a) r ON r.a = c.id WHERE c.reply_count <> coalesce(r.n, 0)",
        ),
        (
            "ancestors",
            "SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id
             WHERE c.ancestors <> p.ancestors || p.id OR c.post_id <> p.post_id",
        ),
        (
            "top-level comments",
            "SELECT count(*) FROM comments WHERE parent_id IS NULL AND ancestors <> '{}'",
        ),
    ] {
        let wrong = scalar(conn, query).await;
        if wrong != 0 {
            problems.push(format!("{what}: {wrong} rows disagree with their rows"));
        }
    }
    problems
}
