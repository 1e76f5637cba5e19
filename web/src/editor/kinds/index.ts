// Every node kind the editor offers, in the palette's order. A new kind: a folder beside these, and one line here.
import { ask } from "./ask";
import { end } from "./end";
import { enqueue } from "./enqueue";
import { http_request } from "./http_request";
import { menu } from "./menu";
import { record } from "./record";
import { returnKind } from "./return";
import { say } from "./say";
import { send_message } from "./send_message";
import { set } from "./set";
import { split } from "./split";
import { subflow } from "./subflow";
import { transfer } from "./transfer";
import type { KindDef } from "./types";

export const KINDS: readonly KindDef[] = [
  say,
  ask,
  menu,
  split,
  set,
  enqueue,
  http_request,
  send_message,
  record,
  transfer,
  subflow,
  returnKind,
  end,
];

export function kindOf(type: string): KindDef | undefined {
  return KINDS.find((k) => k.kind === type);
}
