// Drives two Guild instances with lemmy-js-client, the client library Lemmy's own web UI
// and several apps use. Run by tests/lemmy_js_client.rs with GUILD_A and GUILD_B set to the
// instances' base URLs. Prints one line per step; exits non-zero on the first failure.
import { LemmyHttp } from "lemmy-js-client";

const [baseA, baseB] = [process.env.GUILD_A, process.env.GUILD_B];
if (!baseA || !baseB) {
  console.error("set GUILD_A and GUILD_B");
  process.exit(2);
}
const domainA = new URL(baseA).host;
const password = "correct horse battery";

function check(condition, what, detail) {
  if (!condition) {
    throw new Error(`${what} failed: ${JSON.stringify(detail)}`);
  }
  console.log(`ok ${what}`);
}

async function eventually(what, probe, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) {
      console.log(`ok ${what}`);
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function signedIn(base, username) {
  const client = new LemmyHttp(base);
  const registered = await client.register({
    username,
    password,
    password_verify: password,
    show_nsfw: false,
  });
  check(typeof registered.jwt === "string", `register ${username}`, registered);
  const login = await client.login({ username_or_email: username, password });
  check(typeof login.jwt === "string", `login ${username}`, login);
  client.setHeaders({ Authorization: `Bearer ${login.jwt}` });
  const site = await client.getSite();
  check(site.my_user?.local_user_view.person.name === username, `getSite as ${username}`, site.my_user);
  return client;
}

async function main() {
  const alice = await signedIn(baseA, "alice");

  let refusal = null;
  try {
    await new LemmyHttp(baseA).login({ username_or_email: "alice", password: "wrong password!" });
  } catch (error) {
    refusal = error.message;
  }
  check(refusal === "incorrect_login", "a wrong password is refused", refusal);

  const { community_view } = await alice.createCommunity({ name: "js_circle", title: "The JS circle" });
  check(community_view.community.name === "js_circle", "createCommunity", community_view);
  const community_id = community_view.community.id;

  const { post_view } = await alice.createPost({
    name: "Hello from lemmy-js-client",
    community_id,
    body: "Written through **Lemmy's** client library.",
  });
  check(post_view.post.name === "Hello from lemmy-js-client", "createPost", post_view.post);

  const { comment_view } = await alice.createComment({ post_id: post_view.post.id, content: "First comment." });
  check(comment_view.comment.content === "First comment.", "createComment", comment_view.comment);

  const liked = await alice.likePost({ post_id: post_view.post.id, score: 1 });
  check(liked.post_view.my_vote === 1 && liked.post_view.counts.score === 1, "likePost", liked.post_view.counts);
  const likedComment = await alice.likeComment({ comment_id: comment_view.comment.id, score: -1 });
  check(likedComment.comment_view.counts.score === -1, "likeComment", likedComment.comment_view.counts);

  await alice.createPost({ name: "A quieter post", community_id });
  // Listings follow the votes within a few seconds (Guild folds counters into sort keys
  // every five); until then the newer, unvoted post is ahead.
  await eventually("getPosts sorted Hot puts the voted post first", async () => {
    const hot = await alice.getPosts({ type_: "All", sort: "Hot", limit: 10 });
    return hot.posts.length === 2 && hot.posts[0].post.id === post_view.post.id;
  });
  const comments = await alice.getComments({ post_id: post_view.post.id, sort: "Hot" });
  check(comments.comments.length === 1, "getComments", comments.comments.length);

  // A person on the second instance finds the community and follows it.
  const bob = await signedIn(baseB, "bob");
  const resolved = await bob.resolveObject({ q: `!js_circle@${domainA}` });
  check(resolved.community?.community.local === false, "resolveObject on the second instance", resolved);
  const remoteId = resolved.community.community.id;
  const follow = await bob.followCommunity({ community_id: remoteId, follow: true });
  check(["Pending", "Subscribed"].includes(follow.community_view.subscribed), "followCommunity", follow.community_view.subscribed);
  await eventually("the follow to be accepted", async () => {
    const { community_view } = await bob.getCommunity({ id: remoteId });
    return community_view.subscribed === "Subscribed";
  });

  // A post written on the first instance arrives on the second.
  const fresh = await alice.createPost({ name: "News for followers", community_id, body: "It travels." });
  const arrived = await eventually("the new post to arrive on the second instance", async () => {
    const { posts } = await bob.getPosts({ type_: "Subscribed", sort: "New" });
    return posts.find((p) => p.post.ap_id === fresh.post_view.post.ap_id);
  });
  check(arrived.community.id === remoteId && arrived.post.body === "It travels.", "the arrived post", arrived.post);

  const answer = await bob.createComment({ post_id: arrived.post.id, content: "Received, thanks." });
  console.log(`comment ${answer.comment_view.comment.ap_id}`);
  console.log("all steps passed");
}

main().catch((error) => {
  console.error(`FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
