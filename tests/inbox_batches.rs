//! The inbox asks the database what many activities need at the same moment in one
//! statement (`db::batch`): was this id received before, who is this person, which post or
//! comment is this; and it writes their comments and votes, and records their ids with the
//! relays to queue, in one statement. Each caller must get its own answer, whatever else
//! shared its statement.

mod common;

use common::TestInstance;
use futures::future::{BoxFuture, join_all};
use guild::{
    db::{
        deliveries::{Batch, Outgoing, Received},
        models::{Comment, CommentForm, Person, Post},
        votes::RemoteVote,
    },
    service::{
        comments::create_comment,
        posts::{PostInput, create_post},
    },
};

/// The `_count` (statements) and `_sum` (requests) of one batched statement's histogram in
/// `/metrics`.
async fn statements_and_requests(a: &TestInstance, statement: &str) -> (f64, f64) {
    let text = common::http()
        .get(a.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    let value = |suffix: &str| {
        let name = format!("guild_inbox_batch_size_{suffix}{{statement=\"{statement}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (value("count"), value("sum"))
}

/// Ann, and three posts of hers in her community "practice".
async fn three_posts_by_ann(a: &TestInstance) -> (Person, Vec<Post>) {
    let ann = a.create_user("ann").await;
    let practice = a
        .create_community("practice", "Mapping practice", Some(&ann))
        .await;
    let mut posts = Vec::new();
    for n in 1..=3 {
        let input = PostInput {
            title: format!("Survey {n}"),
            ..Default::default()
        };
        posts.push(
            create_post(&a.data, &ann, &practice, input)
                .await
                .expect("post"),
        );
    }
    (ann, posts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_asked_together_each_get_their_own_answer() {
    let a = TestInstance::start().await;
    let (ann, posts) = three_posts_by_ann(&a).await;
    let comment = create_comment(&a.data, &ann, &posts[0], None, "Which datum?")
        .await
        .expect("comment");
    let reply = create_comment(&a.data, &ann, &posts[0], Some(&comment), "WGS 84.")
        .await
        .expect("reply");
    let received = "https://elsewhere.example/activities/like/1";
    {
        let mut conn = a.conn().await;
        guild::db::activities::record_received(&mut conn, received)
            .await
            .expect("record an id");
    }

    // Every kind of question, with the answer each must get, all asked at once.
    let reads = &a.data.inbox_batches;
    let mut asks: Vec<(String, BoxFuture<'_, String>)> = Vec::new();
    for round in 0..8 {
        for post in &posts {
            asks.push((
                format!("post {} alone", post.id),
                Box::pin(async {
                    match reads.reply_target(&post.ap_id).await.expect("lookup") {
                        Some((p, None)) => format!("post {} alone", p.id),
                        other => format!("{other:?}"),
                    }
                }),
            ));
            asks.push((
                format!("post {}", post.id),
                Box::pin(async {
                    match reads.post_by_ap_id(&post.ap_id).await.expect("lookup") {
                        Some(p) => format!("post {}", p.id),
                        None => "nothing".into(),
                    }
                }),
            ));
        }
        for c in [&comment, &reply] {
            asks.push((
                format!("comment {} on post {}", c.id, c.post_id),
                Box::pin(async {
                    match reads.reply_target(&c.ap_id).await.expect("lookup") {
                        Some((p, Some(c))) => format!("comment {} on post {}", c.id, p.id),
                        other => format!("{other:?}"),
                    }
                }),
            ));
            // A comment is not a post.
            asks.push((
                "nothing".into(),
                Box::pin(async {
                    match reads.post_by_ap_id(&c.ap_id).await.expect("lookup") {
                        Some(p) => format!("post {}", p.id),
                        None => "nothing".into(),
                    }
                }),
            ));
        }
        let unknown = format!("https://elsewhere.example/post/{round}");
        asks.push((
            "nothing".into(),
            Box::pin(async move {
                match reads.reply_target(&unknown).await.expect("lookup") {
                    Some(found) => format!("{found:?}"),
                    None => "nothing".into(),
                }
            }),
        ));
        for name in ["practice", "PRACTICE", "nowhere"] {
            let community = posts[0].community_id;
            asks.push((
                if name == "nowhere" {
                    "nothing".into()
                } else {
                    format!("community {community}")
                },
                Box::pin(async move {
                    match reads.local_community_by_name(name).await.expect("lookup") {
                        Some(c) => format!("community {}", c.id),
                        None => "nothing".into(),
                    }
                }),
            ));
        }
        asks.push((
            format!("person {}", ann.id),
            Box::pin(async {
                match reads.person_by_ap_id(&ann.ap_id).await.expect("lookup") {
                    Some(p) => format!("person {}", p.id),
                    None => "nothing".into(),
                }
            }),
        ));
        asks.push((
            "received".into(),
            Box::pin(async {
                let seen = reads.was_received(received).await.expect("lookup");
                if seen { "received" } else { "new" }.to_string()
            }),
        ));
        let new_id = format!("https://elsewhere.example/activities/like/new-{round}");
        asks.push((
            "new".into(),
            Box::pin(async move {
                let seen = reads.was_received(&new_id).await.expect("lookup");
                if seen { "received" } else { "new" }.to_string()
            }),
        ));
    }
    let (expected, questions): (Vec<String>, Vec<_>) = asks.into_iter().unzip();
    let answers = join_all(questions).await;
    assert_eq!(answers, expected);

    // They were asked together, so they shared statements: fewer statements than lookups.
    let (statements, requests) = statements_and_requests(&a, "reply_targets").await;
    let lookups = 8.0 * (3.0 + 2.0 + 1.0);
    assert!(
        statements < lookups,
        "{lookups} reply-target lookups ran {statements} statements"
    );
    assert_eq!(requests, lookups, "every lookup went through the batch");
    let (statements, requests) = statements_and_requests(&a, "local_communities").await;
    assert_eq!(requests, 8.0 * 3.0);
    assert!(
        statements < requests,
        "{requests} names in {statements} statements"
    );
    a.stop().await;
}

/// The relay of received activity `k`, number `n`.
fn relay(k: usize, n: usize) -> Outgoing {
    let id = format!("https://guild.test/activities/announce/{k}-{n}");
    Outgoing {
        ap_id: id.clone(),
        actor_ap_id: "https://guild.test/c/practice".into(),
        kind: "Announce".into(),
        data: serde_json::json!({"id": id, "type": "Announce", "object": format!("https://elsewhere.example/activities/create/{k}")}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_made_together_queue_each_activitys_own_relays_once() {
    let a = TestInstance::start().await;
    // Twenty activities, each with one or two relays for one to three inboxes of its own
    // (on a closed loopback port: nothing is delivered), the first six sent twice.
    let received = |k: usize| Received {
        ap_id: format!("https://elsewhere.example/activities/create/{k}"),
        relays: Batch {
            activities: (1..=1 + k % 2).map(|n| relay(k, n)).collect(),
            inboxes: (0..=k % 3)
                .map(|j| format!("http://127.0.0.1:9/inbox/{k}/{j}"))
                .collect(),
        },
    };
    let mut sent: Vec<Received> = (0..20).map(received).collect();
    sent.extend((0..6).map(received));
    let reads = &a.data.inbox_batches;
    let answers: Vec<bool> = join_all(sent.into_iter().map(|r| reads.record_received(r)))
        .await
        .into_iter()
        .map(|answer| answer.expect("recorded"))
        .collect();
    assert_eq!(answers[..20], [true; 20], "each new id is new once");
    assert_eq!(answers[20..], [false; 6], "an id sent again is not new");

    // Each relay went to its own activity's inboxes, once.
    let mut conn = a.conn().await;
    #[derive(diesel::QueryableByName)]
    struct Queued {
        #[diesel(sql_type = diesel::sql_types::Text)]
        ap_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        inbox_url: String,
    }
    let queued: Vec<Queued> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT s.ap_id, d.inbox_url FROM deliveries d
             JOIN sent_activities s ON s.id = d.activity_id
             WHERE s.ap_id LIKE 'https://guild.test/activities/announce/%'",
        ),
        &mut conn,
    )
    .await
    .expect("queued deliveries");
    let expected: usize = (0..20).map(|k| (1 + k % 2) * (1 + k % 3)).sum();
    assert_eq!(queued.len(), expected);
    for q in &queued {
        let k = q
            .ap_id
            .rsplit('/')
            .next()
            .and_then(|last| last.split('-').next())
            .expect("relay id");
        assert!(
            q.inbox_url.contains(&format!("/inbox/{k}/")),
            "{} queued for {}",
            q.ap_id,
            q.inbox_url
        );
    }
    let (statements, records) = statements_and_requests(&a, "records").await;
    assert_eq!(records, 26.0, "every record went through the batch");
    assert!(
        statements < records,
        "{records} records in {statements} statements"
    );

    // An activity whose relay's id is taken fails alone; those beside it are recorded.
    let taken = Received {
        ap_id: "https://elsewhere.example/activities/create/taken".into(),
        relays: Batch {
            activities: vec![relay(3, 1)],
            inboxes: vec!["http://127.0.0.1:9/inbox/taken".into()],
        },
    };
    let answers = join_all(
        [received(20), taken, received(21)]
            .into_iter()
            .map(|r| reads.record_received(r)),
    )
    .await;
    assert!(matches!(answers[0], Ok(true)), "{:?}", answers[0]);
    assert!(
        answers[1].is_err(),
        "the activity whose relay id is taken fails"
    );
    assert!(matches!(answers[2], Ok(true)), "{:?}", answers[2]);
    drop(conn);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_written_together_each_count_once_on_their_own_item() {
    let a = TestInstance::start().await;
    let (ann, posts) = three_posts_by_ann(&a).await;
    let mut comments = Vec::new();
    for post in &posts[..2] {
        comments.push(
            create_comment(&a.data, &ann, post, None, "Slow down at the start.")
                .await
                .expect("comment"),
        );
    }
    let mut voters = Vec::new();
    for n in 0..8 {
        voters.push(a.create_user(&format!("voter{n}")).await);
    }
    // Every voter on every item, one in three down; and two votes on a post that is gone.
    let items: Vec<(bool, i64)> = posts
        .iter()
        .map(|p| (true, p.id))
        .chain(comments.iter().map(|c| (false, c.id)))
        .collect();
    let score = |voter: usize, item: usize| if (voter + item) % 3 == 0 { -1 } else { 1 };
    let mut votes = Vec::new();
    for (v, voter) in voters.iter().enumerate() {
        for (i, &(on_post, item_id)) in items.iter().enumerate() {
            votes.push(RemoteVote {
                on_post,
                item_id,
                voter_id: voter.id,
                score: score(v, i),
                activity_ap_id: Some(format!("https://elsewhere.example/like/{v}-{i}")),
            });
        }
        if v % 4 == 0 {
            votes.push(RemoteVote {
                on_post: true,
                item_id: i64::MAX,
                voter_id: voter.id,
                score: 1,
                activity_ap_id: None,
            });
        }
    }
    let expected: Vec<bool> = votes.iter().map(|v| v.item_id != i64::MAX).collect();
    let reads = &a.data.inbox_batches;
    let answers: Vec<bool> = join_all(votes.into_iter().map(|v| reads.set_remote_vote(v)))
        .await
        .into_iter()
        .map(|answer| answer.expect("written"))
        .collect();
    assert_eq!(answers, expected, "false only for the post that is gone");

    // Each item's counters moved by its own votes exactly.
    let mut conn = a.conn().await;
    for (i, &(on_post, id)) in items.iter().enumerate() {
        let ups = (0..voters.len()).filter(|&v| score(v, i) == 1).count() as i32;
        let downs = voters.len() as i32 - ups;
        let (up, down, total) = if on_post {
            let post = guild::db::posts::by_id(&mut conn, id)
                .await
                .expect("read")
                .expect("post");
            (post.upvotes, post.downvotes, post.score)
        } else {
            let comment = guild::db::comments::by_id(&mut conn, id)
                .await
                .expect("read")
                .expect("comment");
            (comment.upvotes, comment.downvotes, comment.score)
        };
        assert_eq!(
            (up, down, total),
            (ups, downs, ups - downs),
            "item {i} (post: {on_post})"
        );
    }
    drop(conn);
    let (statements, written) = statements_and_requests(&a, "votes").await;
    assert_eq!(written, 42.0);
    assert!(
        statements < written,
        "{written} votes in {statements} statements"
    );
    a.stop().await;
}

/// A comment by `author` from another server, on `post` or under `parent`.
fn remote_comment(
    ap_id: &str,
    author: &Person,
    post: &Post,
    parent: Option<&Comment>,
    body: &str,
) -> CommentForm {
    CommentForm {
        ap_id: ap_id.to_owned(),
        post_id: post.id,
        parent_id: parent.map(|p| p.id),
        author_id: author.id,
        local: false,
        body_source: Some(body.to_owned()),
        body_html: format!("<p>{body}</p>"),
        published_at: chrono::Utc::now(),
        updated_at: None,
        ancestors: parent
            .map(|p| [p.ancestors.as_slice(), &[p.id]].concat())
            .unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_written_together_are_each_stored_and_counted_once() {
    let a = TestInstance::start().await;
    let (ann, posts) = three_posts_by_ann(&a).await;
    let question = create_comment(&a.data, &ann, &posts[0], None, "Which datum?")
        .await
        .expect("comment");
    let answer = create_comment(&a.data, &ann, &posts[0], Some(&question), "WGS 84.")
        .await
        .expect("reply");
    let mut authors = Vec::new();
    for n in 0..4 {
        authors.push(a.create_user(&format!("mapper{n}")).await);
    }

    // Each author comments on every post and replies at both depths of the thread: 20 new
    // comments. One of them arrives twice, and one names a comment stored already.
    let mut forms = Vec::new();
    for (k, author) in authors.iter().enumerate() {
        for (p, post) in posts.iter().enumerate() {
            forms.push(remote_comment(
                &format!("https://elsewhere.example/comment/{k}-{p}"),
                author,
                post,
                None,
                &format!("Field notes {k} on survey {p}"),
            ));
        }
        for (depth, parent) in [&question, &answer].into_iter().enumerate() {
            forms.push(remote_comment(
                &format!("https://elsewhere.example/comment/{k}-reply-{depth}"),
                author,
                &posts[0],
                Some(parent),
                &format!("Reply {k} at depth {depth}"),
            ));
        }
    }
    let new_comments = forms.len();
    forms.push(forms[7].clone());
    let mut stored = remote_comment(&question.ap_id, &authors[0], &posts[0], None, "Again");
    stored.body_html = "<p>Not a new comment</p>".into();
    forms.push(stored);

    let batches = &a.data.inbox_batches;
    let answers: Vec<Option<Comment>> = join_all(
        forms
            .iter()
            .map(|form| batches.insert_remote_comment(form.clone())),
    )
    .await
    .into_iter()
    .map(|answer| answer.expect("written"))
    .collect();
    for (form, answer) in forms.iter().zip(&answers).take(new_comments) {
        let row = answer.as_ref().expect("a new comment is inserted");
        assert_eq!(
            (&row.ap_id, row.post_id, row.parent_id, &row.ancestors),
            (&form.ap_id, form.post_id, form.parent_id, &form.ancestors),
        );
        assert_eq!(
            (row.author_id, row.local, &row.body_html),
            (form.author_id, false, &form.body_html)
        );
    }
    assert!(
        answers[new_comments].is_none(),
        "a comment given twice is inserted for its first request only"
    );
    assert!(
        answers[new_comments + 1].is_none(),
        "a stored comment is kept"
    );

    // Counted once each: the two local comments and the 20 new ones.
    let mut conn = a.conn().await;
    let mut counts = Vec::new();
    for post in &posts {
        let post = guild::db::posts::by_id(&mut conn, post.id)
            .await
            .expect("read")
            .expect("post");
        counts.push(post.comment_count);
    }
    let authors_n = authors.len() as i32;
    assert_eq!(counts, vec![2 + 3 * authors_n, authors_n, authors_n]);
    let mut replies = Vec::new();
    for comment in [&question, &answer] {
        let comment = guild::db::comments::by_id(&mut conn, comment.id)
            .await
            .expect("read")
            .expect("comment");
        replies.push(comment.reply_count);
        if comment.id == question.id {
            assert_eq!(comment.body_html, question.body_html, "not overwritten");
        }
    }
    assert_eq!(replies, vec![1 + 2 * authors_n, authors_n]);
    drop(conn);
    let (statements, requests) = statements_and_requests(&a, "comments").await;
    assert_eq!(requests, forms.len() as f64);
    assert!(
        statements < requests,
        "{requests} comments in {statements} statements"
    );

    // A comment on a post that is gone fails alone; the two beside it are written.
    let gone = Post {
        id: i64::MAX,
        ..posts[1].clone()
    };
    let more = [
        remote_comment(
            "https://elsewhere.example/late/1",
            &authors[1],
            &posts[1],
            None,
            "One",
        ),
        remote_comment(
            "https://elsewhere.example/late/2",
            &authors[1],
            &gone,
            None,
            "Lost",
        ),
        remote_comment(
            "https://elsewhere.example/late/3",
            &authors[2],
            &posts[2],
            None,
            "Two",
        ),
    ];
    let late = join_all(
        more.iter()
            .map(|f| batches.insert_remote_comment(f.clone())),
    )
    .await;
    assert!(
        matches!(&late[0], Ok(Some(row)) if row.ap_id == more[0].ap_id),
        "{:?}",
        late[0]
    );
    assert!(late[1].is_err(), "the comment on a missing post fails");
    assert!(
        matches!(&late[2], Ok(Some(row)) if row.ap_id == more[2].ap_id),
        "{:?}",
        late[2]
    );
    a.stop().await;
}
