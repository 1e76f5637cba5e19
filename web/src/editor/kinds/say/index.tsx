// `say`: speaks or writes a text (or plays a recorded prompt), then goes on.
import { AudioPicker, HearButton } from "../audio";
import { TextInput, isByChannel } from "../fields";
import { textOf, type KindDef } from "../types";

export const say: KindDef = {
  kind: "say",
  title: "editor.kind.say",
  hint: "editor.hint.say",
  outputs: () => [{ handle: "next", label: "next", path: ["next"], optional: false }],
  template: () => ({ text: "" }),
  summary: (node) => (node.audio ? `🔊 ${String(node.audio)} ` : "") + textOf(node.text),
  Panel: ({ node, onChange, languages }) => {
    // What the phone says: the voice wording of a text by channel.
    const spoken = isByChannel(node.text) ? (node.text.voice ?? node.text.chat) : node.text;
    const texts = spoken && typeof spoken === "object" ? (spoken as Record<string, unknown>) : null;
    return (
      <>
        <TextInput node={node} path={["text"]} label="editor.field.text" onChange={onChange} />
        {texts
          ? Object.entries(texts).map(([language, text]) => (
              <HearButton key={language} text={typeof text === "string" ? text : ""} language={language} voice={node.voice as string | undefined} />
            ))
          : languages[0] && <HearButton text={textOf(spoken)} language={languages[0]} voice={node.voice as string | undefined} />}
        <AudioPicker value={typeof node.audio === "string" ? node.audio : undefined} onChange={(name) => onChange(["audio"], name)} />
      </>
    );
  },
};
