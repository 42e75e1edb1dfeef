//! A tiny authoritative DNS server on loopback UDP for the verified-domain
//! tests (`scimd serve --dns-server`): TXT records the test sets, NXDOMAIN
//! for any other name, SERVFAIL for names told to fail. Messages are
//! parsed and encoded with hickory-proto. It answers on a thread of its
//! own, so that a test blocked on a CLI process (`scimd domain verify`)
//! does not stop it.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};

#[derive(Debug, Clone)]
enum Answer {
    Txt(Vec<String>),
    Fail,
}

/// The server; it stops when dropped.
pub struct DnsServer {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Answer>>>,
    stop: Arc<AtomicBool>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let addr = socket.local_addr().unwrap();
        let records: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (served, stopped) = (Arc::clone(&records), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else { continue };
                let Ok(request) = Message::from_vec(&buf[..n]) else { continue };
                let response = answer(&request, &served.lock().unwrap());
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, peer);
                }
            }
        });
        DnsServer { addr, records, stop }
    }

    /// Publishes TXT records (one per value) at `name`, replacing any.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        self.records.lock().unwrap().insert(key(name), Answer::Txt(values));
    }

    /// Answers SERVFAIL for `name`.
    pub fn fail(&self, name: &str) {
        self.records.lock().unwrap().insert(key(name), Answer::Fail);
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn answer(request: &Message, records: &HashMap<String, Answer>) -> Message {
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    let Some(query) = request.queries.first() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response;
    };
    response.add_query(query.clone());
    match records.get(&key(&query.name().to_string())) {
        Some(Answer::Fail) => response.metadata.response_code = ResponseCode::ServFail,
        Some(Answer::Txt(values)) => {
            if query.query_type() == RecordType::TXT {
                for v in values {
                    let txt = RData::TXT(TXT::new(vec![v.clone()]));
                    response.add_answer(Record::from_rdata(query.name().clone(), 60, txt));
                }
            }
        }
        None => response.metadata.response_code = ResponseCode::NXDomain,
    }
    response
}
