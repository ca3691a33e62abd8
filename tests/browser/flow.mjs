// Drives Debian's chromium (headless, through puppeteer-core, no browser download) through
// two Guild instances as a person would: sign up, create a community, post, comment, vote,
// reply, then find a community on the second instance, join it and see its post. Saves
// screenshots of the home, community and post pages. Run by tests/browser_flow.rs with
// GUILD_A, GUILD_B, REMOTE_COMMUNITY (name@host on B), REMOTE_POST_TITLE and SCREENSHOTS set.
import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";

const { GUILD_A, GUILD_B, REMOTE_COMMUNITY, REMOTE_POST_TITLE, SCREENSHOTS } = process.env;
if (!GUILD_A || !GUILD_B || !REMOTE_COMMUNITY || !REMOTE_POST_TITLE || !SCREENSHOTS) {
  console.error("set GUILD_A, GUILD_B, REMOTE_COMMUNITY, REMOTE_POST_TITLE and SCREENSHOTS");
  process.exit(2);
}
mkdirSync(SCREENSHOTS, { recursive: true });
const password = "correct horse battery";

function check(condition, what, detail) {
  if (!condition) throw new Error(`${what} failed: ${detail ?? ""}`);
  console.log(`ok ${what}`);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage", "--disable-gpu"],
});

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

async function text(page) {
  return page.evaluate(() => document.body.innerText);
}

try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));

  // Sign up.
  await page.goto(`${GUILD_A}/signup`, { waitUntil: "load" });
  await page.type("#username", "ada");
  await page.type("#password", password);
  await page.type("#password_verify", password);
  await submit(page, "form[action='/signup'] button");
  check(new URL(page.url()).pathname === "/communities", "sign up lands on the directory", page.url());
  check((await text(page)).includes("ada"), "the header shows who is signed in");

  // A community, and a post in it.
  await page.goto(`${GUILD_A}/create_community`, { waitUntil: "load" });
  await page.type("#name", "writing");
  await page.type("#title", "Writing");
  await page.type("#description", "For people who write. **Be kind** to drafts.");
  await submit(page, "form[action='/create_community'] button");
  check(new URL(page.url()).pathname === "/c/writing", "the community is created", page.url());
  await submit(page, "form[action='/c/writing/join'] button");
  check((await text(page)).includes("Leave"), "joined the community");
  await Promise.all([page.waitForNavigation(), page.click("a[href='/c/writing/submit']")]);
  await page.type("#title", "Drafting in public");
  await page.type("#body", "Share *early* drafts; nobody writes alone.");
  await submit(page, "button[value='preview']");
  check((await page.$eval(".preview", (el) => el.innerHTML)).includes("<em>early</em>"), "the Markdown preview renders");
  await submit(page, "button[value='submit']");
  check(/^\/post\/\d+$/.test(new URL(page.url()).pathname), "the post is created", page.url());
  const postUrl = page.url();

  // Comment, vote, reply.
  await page.type("#new-comment", "First thought: timebox it.");
  await submit(page, "form.reply button");
  check((await text(page)).includes("First thought: timebox it."), "the comment shows");
  await submit(page, "form.votes button[aria-label='Upvote']");
  check((await page.$eval(".votes .score", (el) => el.textContent.trim())) === "1", "the upvote counts");
  await page.click("li.comment details summary");
  await page.type("li.comment details textarea", "And share the timebox too.");
  await submit(page, "li.comment details button");
  check((await page.$$("li.comment")).length === 2, "the reply nests under the comment");
  await page.screenshot({ path: `${SCREENSHOTS}/post.png`, fullPage: true });

  // Find a community on the second instance, join it, and see its post.
  await page.goto(`${GUILD_A}/communities`, { waitUntil: "load" });
  await page.type("#find", REMOTE_COMMUNITY);
  await submit(page, "form[action='/communities/find'] button");
  const remotePath = new URL(page.url()).pathname;
  check(remotePath === `/c/${REMOTE_COMMUNITY}`, "the remote community opens here", page.url());
  await submit(page, `form[action='/c/${REMOTE_COMMUNITY}/join'] button`);
  let seen = false;
  for (let attempt = 0; attempt < 60 && !seen; attempt++) {
    await page.goto(`${GUILD_A}${remotePath}`, { waitUntil: "load" });
    const body = await text(page);
    seen = body.includes(REMOTE_POST_TITLE) && body.includes("Leave");
    if (!seen) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  check(seen, "the remote community accepted and its post is here");
  await page.screenshot({ path: `${SCREENSHOTS}/community.png`, fullPage: true });

  await page.goto(`${GUILD_A}/?feed=subscribed`, { waitUntil: "load" });
  const home = await text(page);
  check(home.includes(REMOTE_POST_TITLE) && home.includes("Drafting in public"), "the subscribed feed holds both posts");
  await page.screenshot({ path: `${SCREENSHOTS}/home.png`, fullPage: true });

  // The same post on a phone, and in the dark.
  await page.setViewport({ width: 390, height: 844, isMobile: true });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
  await page.goto(postUrl, { waitUntil: "load" });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, "no sideways scrolling on a phone", `${overflow}px too wide`);
  await page.screenshot({ path: `${SCREENSHOTS}/post-phone-dark.png`, fullPage: true });

  // The keyboard reaches the first link (the skip link) and it is visible when focused.
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  check(focused === "Skip to content", "the first Tab focuses the skip link", focused);
  console.log("all steps passed");
} catch (error) {
  console.error(`FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
