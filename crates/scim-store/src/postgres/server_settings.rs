//! Server settings on PostgreSQL: a small table of named values one
//! process of the server leaves for the others.

use super::PgStore;
use super::convert::at;
use super::sql::{exec, opt};
use crate::Result;

impl PgStore {
    pub(crate) async fn server_setting_impl(&self, key: &str) -> Result<Option<String>> {
        let c = self.conn().await?;
        opt(&c, "SELECT value FROM server_settings WHERE key = $1", &[&key]).await?.map(|r| at(&r, 0)).transpose()
    }

    pub(crate) async fn set_server_setting_impl(&self, key: &str, value: &str) -> Result<()> {
        let c = self.conn().await?;
        exec(
            &c,
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .await
        .map(drop)
    }
}
