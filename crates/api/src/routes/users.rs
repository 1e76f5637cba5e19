//! `/api/v1/users`: the tenant's staff accounts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use domain::{DisplayName, Role, UserId, Username};
use store::{User, UserChanges};

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(end_sessions))
        .routes(routes!(reset_second_factor))
        .routes(routes!(roles))
}

/// A role and what it may do.
#[derive(Serialize, ToSchema)]
pub(crate) struct RoleDto {
    #[schema(value_type = crate::schemas::RoleName)]
    role: &'static str,
    #[schema(value_type = Vec<crate::schemas::PermissionName>)]
    permissions: Vec<&'static str>,
}

/// The roles.
#[derive(Serialize, ToSchema)]
pub(crate) struct RoleList {
    items: Vec<RoleDto>,
}

/// Every role and the permissions it grants, so people choosing a role see what it may do.
#[utoipa::path(get, path = "/api/v1/roles", tag = "users",
    responses((status = 200, body = RoleList), (status = 401, body = Problem)))]
async fn roles(Caller(_who): Caller) -> axum::Json<RoleList> {
    axum::Json(RoleList {
        items: Role::ALL
            .iter()
            .map(|&role| RoleDto {
                role: role.as_str(),
                permissions: security::rbac::permissions(role)
                    .into_iter()
                    .map(|p| p.as_str())
                    .collect(),
            })
            .collect(),
    })
}

/// A staff account as the API shows it (never hashes or seeds).
#[derive(Serialize, ToSchema)]
pub(crate) struct UserDto {
    id: String,
    username: String,
    display_name: String,
    #[schema(value_type = crate::schemas::RoleName, example = "agent")]
    role: Role,
    disabled: bool,
    totp_enrolled: bool,
    must_change_password: bool,
    /// RFC 3339, UTC.
    created_at: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.to_string(),
            display_name: u.display_name.to_string(),
            role: u.role,
            disabled: u.disabled,
            totp_enrolled: u.totp_enrolled,
            must_change_password: u.must_change_password,
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// A list of users.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserList {
    items: Vec<UserDto>,
}

pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_id())
}

/// The tenant's users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = UserList), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<UserList>, ApiError> {
    let users = state.app.list_users(&who).await?;
    Ok(axum::Json(UserList {
        items: users.iter().map(UserDto::from).collect(),
    }))
}

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserRequest {
    #[schema(value_type = String, example = "maria.k")]
    username: Username,
    #[schema(value_type = String, example = "Maria K.")]
    display_name: DisplayName,
    #[schema(value_type = crate::schemas::RoleName, example = "agent")]
    role: Role,
}

/// The new user and their one-time password (shown once).
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedUserResponse {
    user: UserDto,
    one_time_password: String,
}

/// Creates a user with a one-time password.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = CreatedUserResponse), (status = 422, body = Problem), (status = 403, body = Problem)))]
async fn create_user(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> Result<Response, ApiError> {
    let created = state
        .app
        .create_user(&who, body.username, body.display_name, body.role)
        .await?;
    let body = CreatedUserResponse {
        user: UserDto::from(&created.user),
        one_time_password: created.one_time_password,
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem)))]
async fn get_user(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<UserDto>, ApiError> {
    let user = state.app.get_user(&who, parse_id::<UserId>(&id)?).await?;
    Ok(axum::Json(UserDto::from(&user)))
}

/// Fields to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserRequest {
    #[schema(value_type = Option<String>)]
    display_name: Option<DisplayName>,
    #[schema(value_type = Option<crate::schemas::RoleName>)]
    role: Option<Role>,
    disabled: Option<bool>,
}

/// Changes a user's display name, role or disabled flag.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_user(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<axum::Json<UserDto>, ApiError> {
    let changes = UserChanges {
        display_name: body.display_name,
        role: body.role,
        disabled: body.disabled,
    };
    let user = state
        .app
        .update_user(&who, parse_id::<UserId>(&id)?, changes)
        .await?;
    Ok(axum::Json(UserDto::from(&user)))
}

/// Clears a user's second factor and backup codes (a lost phone) and ends their sessions;
/// their next sign-in enrols a new authenticator.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-second-factor", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reset_second_factor(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .reset_second_factor(&who, parse_id::<UserId>(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a disabled user's account for good (409 `disable-first` while it is enabled,
/// `own-account` for one's own, `holds-conversations` while it holds any). The audit log keeps
/// its id.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_user(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_user(&who, parse_id::<UserId>(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of a user.
#[utoipa::path(post, path = "/api/v1/users/{id}/end-sessions", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn end_sessions(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .end_user_sessions(&who, parse_id::<UserId>(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
