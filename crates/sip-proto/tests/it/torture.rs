//! RFC 4475 torture tests, written from the RFC's descriptions of each case. Valid messages must
//! parse with the field values the RFC calls out; invalid ones must be rejected (the UAS answers
//! 400 or 505, or drops the datagram).

use sip_proto::{Message, Method, Request, Response, Transport, Uri, parse};

/// Turns the readable `\n` of a test literal into the CRLF of the wire.
fn wire(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn request(s: &str) -> Request {
    match parse(&wire(s)) {
        Ok(Message::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn response(s: &str) -> Response {
    match parse(&wire(s)) {
        Ok(Message::Response(r)) => r,
        other => panic!("expected a response, got {other:?}"),
    }
}

const SDP150: &str = "v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
";

fn sip_user(uri: &Uri) -> String {
    uri.as_sip()
        .and_then(|u| u.user_unescaped())
        .unwrap_or_default()
}

#[test]
fn wsinv_short_tortuous_invite() {
    let msg = format!(
        "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

{SDP150}"
    );
    let r = request(&msg);
    assert_eq!(r.method, Method::Invite);
    let h = &r.headers;
    let to = h.to().unwrap();
    assert_eq!(to.tag(), Some("1918181833n"));
    let from = h.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(h.max_forwards().unwrap(), Some(68));
    let cseq = h.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (9, Method::Invite));
    let vias = h.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[0].rfc3261_branch(), None);
    assert_eq!(
        (vias[1].transport.clone(), vias[1].host.as_str()),
        (Transport::Tcp, "spindle.example.com")
    );
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(h.get("Subject"), Some(""));
    assert!(
        h.get("NewFangledHeader")
            .unwrap()
            .contains("continued newfangled value")
    );
    let contact = h.contacts().unwrap().unwrap();
    assert_eq!(
        contact[0].display_name.as_deref(),
        Some("Quoted string \"\"")
    );
    assert_eq!(contact[0].params.value("newparam"), Some("newvalue"));
    assert!(contact[0].params.contains("secondparam"));
    assert_eq!(contact[0].params.value("q"), Some("0.33"));
    assert_eq!(h.routes().unwrap().len(), 1);
    assert_eq!(r.body.len(), 150);
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    let msg = "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~
To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>
From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\u{430}\u{431}\u{43e}\u{442}\u{430}\u{44e}\u{449}\u{438}\u{439}\";tag=_token~1'+`*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{
CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~
Max-Forwards: 255
extensionHeader-!.%*+_`'~: \u{feff}\u{5927}\u{505c}\u{96fb}
Content-Length: 0

";
    let r = request(msg);
    assert_eq!(
        r.method,
        Method::Other("!interesting-Method0123456789_*+`.%indeed'~".into())
    );
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(
        uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        uri.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(uri.host, "example.com");
    assert_eq!(
        r.headers.to().unwrap().display_name.as_deref(),
        Some("BEL:\x07 NUL:\x00 DEL:\x7F")
    );
    let from = r.headers.from().unwrap();
    assert_eq!(
        from.display_name.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        r.headers.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(r.headers.max_forwards().unwrap(), Some(255));
    assert!(r.headers.get("extensionheader-!.%*+_`'~").is_some());
}

#[test]
fn esc01_valid_percent_escapes() {
    let msg = format!(
        "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: 150

{SDP150}"
    );
    let r = request(&msg);
    assert_eq!(sip_user(&r.uri), "sips:user@example.com");
    assert_eq!(sip_user(&r.headers.to().unwrap().uri), "user");
    assert_eq!(sip_user(&r.headers.from().unwrap().uri), "I have spaces");
    let contact = &r.headers.contacts().unwrap().unwrap()[0];
    assert_eq!(sip_user(&contact.uri), "caller");
    assert_eq!(r.headers.content_type().as_deref(), Some("application/sdp"));
    assert_eq!(
        r.headers.call_id().unwrap(),
        "esc01.239409asdfakjkn23onasd0-3234"
    );
}

#[test]
fn escnull_escaped_nulls_in_uris() {
    let r = request(
        "REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0

",
    );
    assert_eq!(sip_user(&r.headers.to().unwrap().uri), "null-\0-null");
    let contacts = r.headers.contacts().unwrap().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(sip_user(&contacts[1].uri), "\0\0");
}

#[test]
fn esc02_percent_that_is_not_an_escape() {
    let r = request(
        "RE%47IST%45R sip:registrar.example.com SIP/2.0
To: \"%Z%45\" <sip:resource@example.com>
From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;rport;branch=z9hG4bK209793
Contact: <sip:alias1@host1.example.com>
Contact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
Max-Forwards: 70
CSeq: 29344 RE%47IST%45R
Content-Length: 0

",
    );
    assert_eq!(r.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(
        r.headers.to().unwrap().display_name.as_deref(),
        Some("%Z%45")
    );
    assert_eq!(r.headers.contacts().unwrap().unwrap().len(), 3);
    assert_eq!(r.headers.top_via().unwrap().rport(), Some(None));
}

#[test]
fn lwsdisp_no_lws_between_display_name_and_bracket() {
    let r = request(
        "OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0

",
    );
    assert_eq!(
        r.headers.from().unwrap().display_name.as_deref(),
        Some("caller")
    );
}

#[test]
fn longreq_long_values_in_header_fields() {
    let long = "extreme".repeat(60);
    let tag = "12982982".repeat(40);
    let mut msg = format!(
        "INVITE sip:user@example.com SIP/2.0
To: \"I have a user name of {long} length\" <sip:user@example.com>
From: sip:caller@example.net;tag={tag}
Call-ID: longreq.one{}longcallid
CSeq: 3882340 INVITE
Unknown-{}Name: unknown-{}value; unknown-{}parameter=unknown-{}value
",
        "really".repeat(100),
        "LongLong".repeat(20),
        "longlong".repeat(20),
        "longlong".repeat(20),
        "longlong".repeat(20)
    );
    for i in (2..=34).rev() {
        let name = ["Via", "v", "V"][i % 3];
        msg.push_str(&format!("{name}: SIP/2.0/TCP sip{i}.example.com\n"));
    }
    msg.push_str(&format!(
        "Via: SIP/2.0/TCP host1.example.com;received=192.0.2.1;branch=z9hG4bK{}
Max-Forwards: 70
Contact: <sip:amazinglylongcallername{}@host5.example.net>
Content-Type: application/sdp
l: 150

{SDP150}",
        "longbranch".repeat(30),
        "amazinglylongcallername".repeat(10)
    ));
    let r = request(&msg);
    assert_eq!(r.headers.vias().unwrap().len(), 34);
    assert_eq!(r.headers.from().unwrap().tag(), Some(tag.as_str()));
    assert!(
        r.headers
            .to()
            .unwrap()
            .display_name
            .unwrap()
            .contains(&long)
    );
}

#[test]
fn dblreq_extra_octets_in_datagram_are_ignored() {
    let r = request(
        "REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0


INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: 150

",
    );
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
}

#[test]
fn semiuri_semicolons_in_user_part() {
    let r = request(
        "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0

",
    );
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(
        uri.user_unescaped().as_deref(),
        Some("user;par=u@example.net")
    );
    assert_eq!(uri.host, "example.com");
    assert!(uri.params.is_empty());
    assert_eq!(r.headers.list("Accept").len(), 6);
}

#[test]
fn transports_varied_and_unknown() {
    let r = request(
        "OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0

",
    );
    let t: Vec<Transport> = r
        .headers
        .vias()
        .unwrap()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(
        t,
        [
            Transport::Udp,
            Transport::Sctp,
            Transport::Tls,
            Transport::Other("UNKNOWN".into()),
            Transport::Tcp
        ]
    );
}

#[test]
fn mpart01_multipart_body() {
    let body = "--7a9cbec02ceef655
Content-Type: application/sdp
Content-Transfer-Encoding: 8bit

v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 5004 RTP/AVP 0

--7a9cbec02ceef655
Content-Type: application/octet-stream

\u{1}\u{2}binary
--7a9cbec02ceef655--
";
    let len = wire(body).len();
    let r = request(&format!(
        "MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport
Max-Forwards: 70
Route: <sip:127.0.0.1:5080>
Contact: <sip:fluffy@127.0.0.1:5070>
To: <sip:kumiko@example.org>
From: <sip:fluffy@example.com>;tag=2fb0dcc9
Call-ID: 3d9485ad0c49859b@Q02N0NQ1MjA3MUR
CSeq: 1 MESSAGE
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed;boundary=7a9cbec02ceef655
Date: Sat, 15 Oct 2005 04:44:56 GMT
User-Agent: Test
Content-Length: {len}

{body}"
    ));
    assert_eq!(r.headers.content_type().as_deref(), Some("multipart/mixed"));
    assert_eq!(r.body.len(), len);
}

#[test]
fn unreason_unusual_reason_phrase() {
    let r = response(
        "SIP/2.0 200 = 2**3 * 5**2 \u{43d}\u{43e} \u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{43d}\u{43e}\u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{442}\u{44c} - \u{43f}\u{440}\u{43e}\u{441}\u{442}\u{43e}\u{435}
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 0

",
    );
    assert_eq!(r.status, 200);
    assert!(r.reason.starts_with("= 2**3 * 5**2 "));
}

#[test]
fn noreason_empty_reason_phrase() {
    let r = response(
        "SIP/2.0 100 
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0

",
    );
    assert_eq!((r.status, r.reason.as_str()), (100, ""));
}

#[test]
fn badbranch_bare_magic_cookie_parses_but_is_no_transaction_id() {
    let r = request(
        "OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: 0

",
    );
    let via = r.headers.top_via().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK"));
    assert_eq!(via.rfc3261_branch(), None);
}
