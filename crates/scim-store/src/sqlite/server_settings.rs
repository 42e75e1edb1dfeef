//! Server settings on SQLite: a small table of named values one process of
//! the server leaves for the others.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::Result;

impl SqliteStore {
    pub(crate) fn server_setting_impl(&self, key: &str) -> Result<Option<String>> {
        self.read_fresh(|c| {
            Ok(c.prepare_cached("SELECT value FROM server_settings WHERE key = ?")?
                .query_row([key], |r| r.get(0))
                .optional()?)
        })
    }

    pub(crate) async fn set_server_setting_impl(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO server_settings (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
            Ok(())
        })
        .await
    }
}
