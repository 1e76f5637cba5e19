//! Web chat widgets: the public id an anonymous chat finds its tenant by, and the widget's
//! settings.

use domain::{FlowId, TenantId, Timestamp};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{Result, StoreError, Widget};

#[derive(FromRow)]
struct WidgetRow {
    id: String,
    tenant_id: String,
    name: String,
    flow_id: Option<String>,
    title: String,
    primary_color: String,
    greeting: String,
    allowed_origins: String,
    created_at: i64,
    updated_at: i64,
}

impl WidgetRow {
    fn into_widget(self) -> Result<Widget> {
        Ok(Widget {
            id: self.id,
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            name: self.name,
            flow_id: self
                .flow_id
                .as_deref()
                .map(|s| parse::<FlowId>(s, "flow id"))
                .transpose()?,
            title: self.title,
            primary_color: self.primary_color,
            greeting: self.greeting,
            allowed_origins: serde_json::from_str(&self.allowed_origins)
                .map_err(|e| StoreError::corrupt("allowed origins", e))?,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const WIDGET_COLUMNS: &str = "id, tenant_id, name, flow_id, title, primary_color, greeting, \
    allowed_origins, created_at, updated_at";

impl Sql<'_> {
    pub(super) async fn resolve_widget(self, public_id: &str) -> Result<Option<TenantId>> {
        on_backend!(self.db, pool, {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT tenant_id FROM widgets WHERE id = $1")
                    .bind(public_id.to_owned())
                    .fetch_optional(pool)
                    .await?;
            row.map(|(t,)| parse(&t, "tenant id")).transpose()
        })
    }

    pub(super) async fn insert_widget(self, widget: &Widget) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO widgets (id, tenant_id, name, flow_id, title, primary_color, \
                 greeting, allowed_origins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, \
                 $6, $7, $8, $9, $10)",
            )
            .bind(widget.id.clone())
            .bind(widget.tenant_id.to_string())
            .bind(widget.name.clone())
            .bind(widget.flow_id.map(|f| f.to_string()))
            .bind(widget.title.clone())
            .bind(widget.primary_color.clone())
            .bind(widget.greeting.clone())
            .bind(
                serde_json::to_string(&widget.allowed_origins).unwrap_or_else(|_| "[]".to_owned()),
            )
            .bind(widget.created_at.millis())
            .bind(widget.updated_at.millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn get_widget(self, tenant: TenantId, id: &str) -> Result<Option<Widget>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, WidgetRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 AND id = $2"
            )))
            .bind(tenant.to_string())
            .bind(id.to_owned())
            .fetch_optional(pool)
            .await?
            .map(WidgetRow::into_widget)
            .transpose()
        })
    }

    pub(super) async fn list_widgets(self, tenant: TenantId) -> Result<Vec<Widget>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, WidgetRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 ORDER BY name, id"
            )))
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(WidgetRow::into_widget)
            .collect()
        })
    }

    pub(super) async fn update_widget(self, widget: &Widget) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE widgets SET name = $3, flow_id = $4, title = $5, primary_color = $6, \
                 greeting = $7, allowed_origins = $8, updated_at = $9 WHERE tenant_id = $1 AND id \
                 = $2",
            )
            .bind(widget.tenant_id.to_string())
            .bind(widget.id.clone())
            .bind(widget.name.clone())
            .bind(widget.flow_id.map(|f| f.to_string()))
            .bind(widget.title.clone())
            .bind(widget.primary_color.clone())
            .bind(widget.greeting.clone())
            .bind(
                serde_json::to_string(&widget.allowed_origins).unwrap_or_else(|_| "[]".to_owned()),
            )
            .bind(widget.updated_at.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }
}
