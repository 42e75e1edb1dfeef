//! What a page shows when a request is refused or fails: the status and a
//! sentence for a person, on the error page (never an internal detail).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{Nav, render};
use crate::admin_api::problem::Problem;
use crate::ops::OpError;

#[derive(Debug)]
pub struct UiError {
    pub status: u16,
    pub title: String,
    pub detail: String,
}

impl UiError {
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> UiError {
        UiError { status, title: title.into(), detail: detail.into() }
    }
}

impl From<Problem> for UiError {
    fn from(p: Problem) -> UiError {
        UiError::new(p.status, p.title, p.detail)
    }
}

impl From<OpError> for UiError {
    fn from(e: OpError) -> UiError {
        UiError::from(Problem::from(e))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<Nav>,
    title: &'a str,
    detail: &'a str,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let page = ErrorPage { nav: None, title: &self.title, detail: &self.detail };
        (status, render(&page)).into_response()
    }
}
