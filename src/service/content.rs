//! Changes to posts and comments that arrive from other servers and need no federation of
//! their own (the inbox relays them when the community is ours).

use super::ServiceResult;
use crate::{context::Context, db, db::DbError, federation::activities::StoredObject};
use diesel_async::AsyncConnection;

/// Deletes or restores a stored post or comment. The caller checked who asks.
pub async fn set_deleted(ctx: &Context, object: &StoredObject, deleted: bool) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    match object {
        StoredObject::Post(post) => {
            db::posts::set_deleted(&mut conn, post.id, deleted).await?;
        }
        StoredObject::Comment(comment) => {
            conn.transaction::<_, DbError, _>(async |conn| {
                db::comments::set_deleted(conn, comment.id, deleted).await
            })
            .await?;
        }
    }
    Ok(())
}
