// An SMSC in server mode for Hotline's SMPP tests and benchmark, built on the npm `smpp`
// package (an independent SMPP implementation): it binds ESMEs as transceivers, answers
// submit_sm with a message id, joins long messages by their UDH, sends delivery receipts
// (esm_class 0x04, receipt text and the receipted_message_id / message_state TLVs), answers
// enquire_link and unbind, and sends mobile-originated messages when told to.
//
// Usage: node smsc.js --system-id ID --password PW [--port N] [--throttle N] [--quiet]
// It prints one JSON object per line on stdout: {"event":"listening","port":…} first, then
// what happens. Commands come as JSON lines on stdin:
//   {"mo": {"from": "+49…", "to": "+49…", "text": "…"}}   a message from a handset
//   {"throttle": N}                                       refuse the next N submits (0x58)
//   {"drop": true}                                        close every connection
//   {"receipts": false}                                   stop sending receipts
// Licence: CC0-1.0.
'use strict';

const smpp = require('smpp');
const readline = require('readline');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const systemId = opt('--system-id', 'hotline');
const password = opt('--password', 'secret');
let throttle = Number(opt('--throttle', '0'));
const quiet = args.includes('--quiet');
const port = Number(opt('--port', '0'));
let receipts = true;

const sessions = new Set();
const pending = new Map();
let nextId = 0;
let submitted = 0;

function out(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function stamp() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}

function number(addr, ton) {
  return ton === 1 ? '+' + addr : addr;
}

// The part a submit_sm is: from its UDH (IEI 0x00, 8-bit reference) or SAR TLVs.
function partOf(pdu) {
  const sm = pdu.short_message || {};
  if (sm.udh && sm.udh.length) {
    for (const u of sm.udh) {
      if (u[0] === 0x00 && u.length >= 5) {
        return { ref: u[2], total: u[3], seq: u[4] };
      }
      if (u[0] === 0x08 && u.length >= 6) {
        return { ref: u.readUInt16BE(2), total: u[4], seq: u[5] };
      }
    }
  }
  if (pdu.sar_total_segments) {
    return { ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum };
  }
  return null;
}

function textOf(pdu) {
  const sm = pdu.short_message;
  if (sm && typeof sm === 'object' && 'message' in sm) {
    return Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : sm.message;
  }
  if (pdu.message_payload) {
    const p = pdu.message_payload;
    return typeof p === 'object' && 'message' in p ? p.message : String(p);
  }
  return '';
}

function receipt(session, pdu, id) {
  if (!receipts || !(pdu.registered_delivery & 0x01)) {
    return;
  }
  setTimeout(() => {
    if (!sessions.has(session)) {
      return;
    }
    const now = stamp();
    session.deliver_sm({
      source_addr: pdu.destination_addr,
      source_addr_ton: pdu.dest_addr_ton,
      source_addr_npi: pdu.dest_addr_npi,
      destination_addr: pdu.source_addr,
      dest_addr_ton: pdu.source_addr_ton,
      dest_addr_npi: pdu.source_addr_npi,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(
        `id:${id} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:`,
        'ascii',
      ),
      receipted_message_id: id,
      message_state: 2,
    });
  }, 5);
}

const server = smpp.createServer({ debug: false }, (session) => {
  let bound = false;
  session.on('error', () => {});
  session.on('close', () => {
    sessions.delete(session);
    if (!quiet) out({ event: 'closed' });
  });
  session.on('bind_transceiver', (pdu) => {
    if (pdu.system_id !== systemId || pdu.password !== password) {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      out({ event: 'bind_refused', system_id: pdu.system_id });
      return;
    }
    bound = true;
    sessions.add(session);
    session.send(pdu.response({ system_id: 'SIMSC' }));
    out({ event: 'bound', system_id: pdu.system_id, interface_version: pdu.interface_version });
  });
  session.on('enquire_link', (pdu) => {
    session.send(pdu.response());
    if (!quiet) out({ event: 'enquire_link' });
  });
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    out({ event: 'unbound' });
    session.close();
  });
  session.on('submit_sm', (pdu) => {
    if (!bound) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    if (throttle > 0) {
      throttle -= 1;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      out({ event: 'throttled' });
      return;
    }
    nextId += 1;
    submitted += 1;
    const id = `sim${nextId}`;
    session.send(pdu.response({ message_id: id }));
    const source = number(pdu.source_addr, pdu.source_addr_ton);
    const dest = number(pdu.destination_addr, pdu.dest_addr_ton);
    const part = partOf(pdu);
    const text = textOf(pdu);
    if (!quiet) {
      out({
        event: 'submit', id, source, dest, data_coding: pdu.data_coding, esm_class: pdu.esm_class,
        registered_delivery: pdu.registered_delivery, text, part,
      });
    }
    receipt(session, pdu, id);
    if (!part || part.total <= 1) {
      out({ event: 'message', source, dest, text, ids: [id], parts: 1, submitted });
      return;
    }
    const key = `${source}|${dest}|${part.ref}`;
    const entry = pending.get(key) || { parts: new Array(part.total), ids: [] };
    entry.parts[part.seq - 1] = text;
    entry.ids.push(id);
    pending.set(key, entry);
    if (entry.parts.filter((p) => p !== undefined).length === part.total) {
      pending.delete(key);
      out({ event: 'message', source, dest, text: entry.parts.join(''), ids: entry.ids, parts: part.total, submitted });
    }
  });
  session.on('deliver_sm_resp', () => {});
  session.on('generic_nack', (pdu) => out({ event: 'generic_nack', status: pdu.command_status }));
});

function mobileOriginated(mo) {
  const from = String(mo.from);
  const to = String(mo.to);
  const text = String(mo.text);
  const unicode = !/^[\x20-\x7e\n\räöüÄÖÜß@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæÉ!"#¤%&'()*+,\-./:;<=>?¡¿§]*$/.test(text);
  const size = unicode ? 67 : 153;
  const chunks = [];
  if (text.length <= (unicode ? 70 : 160)) {
    chunks.push(text);
  } else {
    for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  }
  const ref = Math.floor(Math.random() * 255) + 1;
  for (const session of sessions) {
    chunks.forEach((chunk, i) => {
      const message = chunks.length > 1
        ? { udh: Buffer.from([0x05, 0x00, 0x03, ref, chunks.length, i + 1]), message: chunk }
        : chunk;
      session.deliver_sm({
        source_addr: from.replace(/^\+/, ''),
        source_addr_ton: from.startsWith('+') ? 1 : 0,
        source_addr_npi: 1,
        destination_addr: to.replace(/^\+/, ''),
        dest_addr_ton: to.startsWith('+') ? 1 : 0,
        dest_addr_npi: 1,
        data_coding: unicode ? 0x08 : 0x00,
        short_message: message,
      }, (resp) => out({ event: 'mo_answered', status: resp.command_status }));
    });
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let command;
  try {
    command = JSON.parse(line);
  } catch (e) {
    out({ event: 'bad_command' });
    return;
  }
  if (command.mo) mobileOriginated(command.mo);
  if (typeof command.throttle === 'number') throttle = command.throttle;
  if (command.receipts === false) receipts = false;
  if (command.drop) {
    for (const s of sessions) s.close();
    sessions.clear();
  }
}).on('close', () => process.exit(0));

server.listen(port, '127.0.0.1', () => out({ event: 'listening', port: server.address().port }));
