//! Connecting to PostgreSQL: the database URL (libpq's `sslmode` and
//! `sslrootcert` included), TLS through rustls, and the connection pool.
//!
//! `sslmode` as libpq reads it: `disable` never encrypts; `allow` and
//! `prefer` (the default) encrypt when the server offers it; `require`
//! encrypts and, like libpq without a root certificate, does not verify
//! the server; `verify-ca` verifies the chain, `verify-full` the chain and
//! the host name, against `sslrootcert` (a PEM file) or the Mozilla roots.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Result, StoreError};

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verify {
    /// Encrypt without checking who answers (libpq's `require`, `prefer`).
    Nothing,
    /// The chain, not the name (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// A database URL taken apart: tokio-postgres' config, and the TLS policy
/// it does not read itself.
pub(crate) struct Target {
    pub config: tokio_postgres::Config,
    verify: Verify,
    root_cert: Option<String>,
}

/// Reads `url` (`postgres://user:password@host:port/db?sslmode=…`).
pub(crate) fn parse(url: &str) -> Result<Target> {
    let bad = |why: String| StoreError::Config(format!("database URL: {why}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut root_cert) = ("prefer".to_owned(), None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" => mode = v.to_owned(),
            "sslrootcert" => root_cert = Some(percent_decode(v)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| bad(e.to_string()))?;
    let (ssl, verify) = match mode.as_str() {
        "disable" => (SslMode::Disable, Verify::Nothing),
        "allow" | "prefer" => (SslMode::Prefer, Verify::Nothing),
        "require" => (SslMode::Require, Verify::Nothing),
        "verify-ca" => (SslMode::Require, Verify::Chain),
        "verify-full" => (SslMode::Require, Verify::Full),
        other => return Err(bad(format!("unknown sslmode {other:?}"))),
    };
    config.ssl_mode(ssl);
    if config.get_application_name().is_none() {
        config.application_name("scimd");
    }
    config.connect_timeout(Duration::from_secs(5));
    config.keepalives_idle(Duration::from_secs(30));
    Ok(Target { config, verify, root_cert })
}

/// `%XX` escapes of a URL query value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Target {
    /// The TLS connector for this target's policy.
    pub(crate) fn tls(&self) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Config(format!("TLS: {e}")))?;
        let config = match self.verify {
            Verify::Nothing => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
                .with_no_client_auth(),
            Verify::Chain | Verify::Full => {
                let mut roots = rustls::RootCertStore::empty();
                match &self.root_cert {
                    Some(path) => {
                        let certs = CertificateDer::pem_file_iter(path)
                            .map_err(|e| StoreError::Config(format!("sslrootcert {path}: {e}")))?;
                        for cert in certs {
                            let cert = cert.map_err(|e| StoreError::Config(format!("sslrootcert {path}: {e}")))?;
                            roots.add(cert).map_err(|e| StoreError::Config(format!("sslrootcert {path}: {e}")))?;
                        }
                    }
                    None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                }
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| StoreError::Config(format!("TLS: {e}")))?;
                let verifier: Arc<dyn ServerCertVerifier> =
                    if self.verify == Verify::Chain { Arc::new(ChainOnly(webpki)) } else { webpki };
                builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth()
            }
        };
        Ok(MakeRustlsConnect::new(config))
    }
}

/// Opens a pool of at most `size` connections to `url`. Connections are
/// made when first needed, so that a node starts (and reports not ready)
/// while the database is down; a caller waits at most 5 s for one.
/// The longest a pooled connection's statement may run: a request is
/// answered within its timeout anyway, and a statement outliving its
/// request would hold a connection (and the database's CPU) for nothing.
/// PostgreSQL cancels it (`57014`, answered 503); migrations lift it.
pub(crate) const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn pool(url: &str, size: usize) -> Result<Pool> {
    let mut target = parse(url)?;
    let timeout = format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis());
    let options = match target.config.get_options() {
        Some(given) if given.contains("statement_timeout") => given.to_owned(),
        Some(given) => format!("{given} {timeout}"),
        None => timeout,
    };
    target.config.options(&options);
    let tls = target.tls()?;
    let manager = Manager::from_config(target.config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| StoreError::Config(format!("database pool: {e}")))
}

/// A connection outside the pool, for LISTEN: its notifications arrive on
/// the returned stream's task, which forwards them to `on_notify`. Ends
/// when the connection does.
pub(crate) async fn listen(
    url: &str,
    channels: &[&str],
    on_notify: impl Fn(&str, &str) + Send + 'static,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    let target = parse(url)?;
    let tls = target.tls()?;
    let (client, mut connection) = target.config.connect(tls).await.map_err(super::convert::error)?;
    let task = tokio::spawn(async move {
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                on_notify(n.channel(), n.payload());
            }
        }
    });
    let sql: String = channels.iter().map(|c| format!("LISTEN {c};")).collect();
    client.batch_execute(&sql).await.map_err(super::convert::error)?;
    Ok((client, task))
}

/// Accepts any certificate (signatures still checked): libpq's `require`.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The chain, whatever name the certificate is for: libpq's `verify-ca`.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libpq_ssl_modes() {
        let t = parse("postgres://u:p@db.example:6432/scimd?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem").unwrap();
        assert_eq!(t.verify, Verify::Full);
        assert_eq!(t.root_cert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(t.config.get_dbname(), Some("scimd"));
        assert_eq!(t.config.get_ports(), &[6432]);
        assert_eq!(parse("postgres://u@h/d?sslmode=disable").unwrap().config.get_ssl_mode(), SslMode::Disable);
        let default = parse("postgres://u@h/d?application_name=x").unwrap();
        assert_eq!((default.config.get_ssl_mode(), default.verify), (SslMode::Prefer, Verify::Nothing));
        assert_eq!(default.config.get_application_name(), Some("x"));
        assert!(parse("postgres://u@h/d?sslmode=sometimes").is_err());
        assert!(parse("postgres://u@h/d?sslmode=require").unwrap().tls().is_ok());
    }
}
