//! The server loop: LSP messages in, answers out, one at a time.
//!
//! It keeps the open documents (full text, with incremental changes applied
//! too, should a client send them), analyses each after every change, and
//! publishes its diagnostics. Every request gets an answer: a handler that
//! fails (bad parameters, an unknown document, a bug caught as a panic)
//! answers an error or an empty result, and the loop goes on.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, References, Request as _,
};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentSymbolParams, DocumentSymbolResponse,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams, HoverProviderCapability,
    Location, MarkupContent, MarkupKind, OneOf, PublishDiagnosticsParams, ReferenceParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde_json::Value;

use crate::analysis::{self, Analysis};

/// One open document.
struct Document {
    version: i32,
    analysis: Analysis,
    /// The last analysis of this document whose text parsed (for
    /// completion while the text does not).
    last_parsed: Option<Analysis>,
}

impl Document {
    fn new(text: String, version: i32) -> Document {
        let mut document = Document { version, analysis: Analysis::new(String::new()), last_parsed: None };
        document.set_text(text);
        document
    }

    fn set_text(&mut self, text: String) {
        let analysis = Analysis::new(text);
        let previous = std::mem::replace(&mut self.analysis, analysis);
        if self.analysis.parsed() {
            self.last_parsed = None;
        } else if previous.parsed() {
            self.last_parsed = Some(previous);
        }
    }

    /// The analysis that knows the names: this text's, or the last that parsed.
    fn names(&self) -> Option<&Analysis> {
        if self.analysis.parsed() { Some(&self.analysis) } else { self.last_parsed.as_ref() }
    }
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// How the session ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `shutdown`, then `exit`: exit code 0.
    Clean,
    /// `exit` without `shutdown`, or the client went away: exit code 1.
    Abrupt,
}

pub struct Server {
    connection: Connection,
    documents: HashMap<String, Document>,
    shutdown: bool,
}

impl Server {
    pub fn new(connection: Connection) -> Server {
        Server { connection, documents: HashMap::new(), shutdown: false }
    }

    fn send(&self, message: impl Into<Message>) {
        // A closed channel means the client is gone; the loop sees it next.
        let _ = self.connection.sender.send(message.into());
    }

    /// Runs the session: the initialize handshake, then messages until
    /// `exit` or the end of the input.
    pub fn run(mut self) -> Ending {
        if !self.initialize() {
            return Ending::Abrupt;
        }
        while let Ok(message) = self.connection.receiver.recv() {
            match message {
                Message::Request(request) => self.request(request),
                Message::Notification(notification) if notification.method == "exit" => {
                    return if self.shutdown { Ending::Clean } else { Ending::Abrupt };
                }
                Message::Notification(notification) => {
                    let method = notification.method.clone();
                    if catch_unwind(AssertUnwindSafe(|| self.notification(notification))).is_err() {
                        eprintln!("brine lsp: internal error handling '{method}'");
                    }
                }
                Message::Response(_) => {}
            }
        }
        Ending::Abrupt
    }

    /// Waits for `initialize` (answering other requests with the protocol's
    /// error) and answers it. False if the input ended first.
    fn initialize(&mut self) -> bool {
        while let Ok(message) = self.connection.receiver.recv() {
            match message {
                Message::Request(request) if request.method == "initialize" => {
                    let result = serde_json::json!({
                        "capabilities": capabilities(),
                        "serverInfo": { "name": "brine", "version": env!("CARGO_PKG_VERSION") },
                    });
                    self.send(Response::new_ok(request.id, result));
                    return true;
                }
                Message::Request(request) => self.send(Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".to_string(),
                )),
                Message::Notification(notification) if notification.method == "exit" => return false,
                _ => {}
            }
        }
        false
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        if self.shutdown {
            let message = "the server is shutting down".to_string();
            self.send(Response::new_err(id, ErrorCode::InvalidRequest as i32, message));
            return;
        }
        let method = request.method.clone();
        let response = match catch_unwind(AssertUnwindSafe(|| self.answer(request))) {
            Ok(response) => response,
            Err(_) => {
                eprintln!("brine lsp: internal error answering '{method}'");
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!("internal error in '{method}'"),
                )
            }
        };
        self.send(response);
    }

    fn answer(&mut self, request: Request) -> Response {
        let Request { id, method, params } = request;
        let bad = |id: RequestId, e: serde_json::Error| {
            Response::new_err(id, ErrorCode::InvalidParams as i32, format!("invalid parameters: {e}"))
        };
        match method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Response::new_ok(id, Value::Null)
            }
            GotoDefinition::METHOD => match serde_json::from_value::<GotoDefinitionParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position_params;
                    let uri = at.text_document.uri;
                    let ranges = self.parsed(&uri).map(|a| a.definition(at.position)).unwrap_or_default();
                    let locations = locations(&uri, ranges);
                    Response::new_ok(id, GotoDefinitionResponse::Array(locations))
                }
                Err(e) => bad(id, e),
            },
            References::METHOD => match serde_json::from_value::<ReferenceParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position;
                    let uri = at.text_document.uri;
                    let include = p.context.include_declaration;
                    let ranges =
                        self.parsed(&uri).map(|a| a.references(at.position, include)).unwrap_or_default();
                    Response::new_ok(id, locations(&uri, ranges))
                }
                Err(e) => bad(id, e),
            },
            HoverRequest::METHOD => match serde_json::from_value::<HoverParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position_params;
                    let hover = self.parsed(&at.text_document.uri).and_then(|a| a.hover(at.position)).map(
                        |(text, range)| Hover {
                            contents: HoverContents::Markup(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: text,
                            }),
                            range: Some(range),
                        },
                    );
                    Response::new_ok(id, hover)
                }
                Err(e) => bad(id, e),
            },
            DocumentSymbolRequest::METHOD => match serde_json::from_value::<DocumentSymbolParams>(params) {
                Ok(p) => {
                    let symbols = self.parsed(&p.text_document.uri).map(|a| a.symbols()).unwrap_or_default();
                    Response::new_ok(id, DocumentSymbolResponse::Nested(symbols))
                }
                Err(e) => bad(id, e),
            },
            Completion::METHOD => match serde_json::from_value::<CompletionParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position;
                    let items = match self.documents.get(at.text_document.uri.as_str()) {
                        Some(document) => {
                            let text = document.analysis.text();
                            let offset = document.analysis.offset(at.position);
                            analysis::completions(document.names(), text, offset)
                        }
                        None => analysis::completions(None, "", 0),
                    };
                    Response::new_ok(id, CompletionResponse::Array(items))
                }
                Err(e) => bad(id, e),
            },
            _ => {
                Response::new_err(id, ErrorCode::MethodNotFound as i32, format!("unknown request '{method}'"))
            }
        }
    }

    /// The analysis of an open document that parsed.
    fn parsed(&self, uri: &Uri) -> Option<&Analysis> {
        self.documents.get(uri.as_str()).map(|d| &d.analysis).filter(|a| a.parsed())
    }

    fn notification(&mut self, notification: Notification) {
        let Notification { method, params } = notification;
        match method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(params) {
                    let document = p.text_document;
                    let uri = document.uri.as_str().to_string();
                    self.documents.insert(uri.clone(), Document::new(document.text, document.version));
                    self.publish(&uri);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(params) {
                    let uri = p.text_document.uri.as_str().to_string();
                    let Some(document) = self.documents.get_mut(&uri) else {
                        return;
                    };
                    let mut text = document.analysis.text().to_string();
                    for change in p.content_changes {
                        match change.range {
                            None => text = change.text,
                            Some(range) => {
                                // Offsets of the text as the earlier changes left it.
                                let index = crate::line_index::LineIndex::new(&text);
                                let start = index.offset(&text, range.start);
                                let end = index.offset(&text, range.end);
                                let (start, end) = (start.min(end), start.max(end));
                                text.replace_range(start..end, &change.text);
                            }
                        }
                    }
                    document.version = p.text_document.version;
                    document.set_text(text);
                    self.publish(&uri);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(params) {
                    let uri = p.text_document.uri;
                    if self.documents.remove(uri.as_str()).is_some() {
                        let params = PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None };
                        self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params));
                    }
                }
            }
            crate::MALFORMED => {
                if let Some(id) =
                    params.get("id").and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok())
                {
                    let message = "malformed request".to_string();
                    self.send(Response::new_err(id, ErrorCode::InvalidRequest as i32, message));
                }
            }
            _ => {}
        }
    }

    fn publish(&self, uri: &str) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let Ok(uri) = uri.parse::<Uri>() else {
            return;
        };
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics: document.analysis.diagnostics(),
            version: Some(document.version),
        };
        self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params));
    }
}

fn locations(uri: &Uri, ranges: Vec<lsp_types::Range>) -> Vec<Location> {
    ranges.into_iter().map(|range| Location { uri: uri.clone(), range }).collect()
}
