// The registry is the `receivers:` list of the publisher config. These edit it in place: comments
// and order are kept, the file keeps its mode (and its owner and group when root rewrites it:
// root:prepcast 0640 in the guides), it is written atomically, and it must load before and after.
import * as fs from "node:fs";
import { isSeq, parseDocument, type Document } from "yaml";
import { PrepcastError, writeFileAtomic } from "@prepcast/protocol";
import { loadPublisherConfig } from "../service/config";

async function rewrite(configFile: string, edit: (doc: Document) => void): Promise<void> {
  loadPublisherConfig(configFile); // the config must be valid before it is changed
  const doc = parseDocument(fs.readFileSync(configFile, "utf8"));
  edit(doc);
  const st = fs.statSync(configFile);
  const asRoot = process.getuid?.() === 0;
  await writeFileAtomic(configFile, doc.toString(), st.mode & 0o777, asRoot ? { uid: st.uid, gid: st.gid } : undefined);
}

const idOf = (item: unknown): unknown => (item as { get?: (k: string) => unknown }).get?.("id");

/** Adds (or with `replace`, replaces) the entry with `entry.id`; returns whether one was replaced. */
export async function addRegistryEntry(configFile: string, entry: Record<string, unknown>, replace: boolean): Promise<{ replaced: boolean }> {
  const id = String(entry.id);
  let replaced = false;
  await rewrite(configFile, (doc) => {
    const node = doc.get("receivers", true);
    if (isSeq(node) && node.items.length > 0) {
      const at = node.items.findIndex((item) => idOf(item) === id);
      if (at >= 0) {
        if (!replace)
          throw new PrepcastError("STATE_CONFLICT", `${id} is already registered in ${configFile}`, {
            where: `${configFile}: receivers.${at}`,
            hint: "add --replace to replace its entry (e.g. a new identity key or certificate)",
          });
        node.items[at] = doc.createNode(entry);
        replaced = true;
      } else node.items.push(doc.createNode(entry));
    } else {
      doc.set("receivers", doc.createNode([entry]));
    }
  });
  loadPublisherConfig(configFile); // what was written loads (a key or logo file must exist, etc.)
  return { replaced };
}

/** Removes the entry `id`; NOT_FOUND when there is none. Returns the removed entry. */
export async function removeRegistryEntry(configFile: string, id: string): Promise<Record<string, unknown>> {
  let removed: Record<string, unknown> | null = null;
  await rewrite(configFile, (doc) => {
    const node = doc.get("receivers", true);
    const at = isSeq(node) ? node.items.findIndex((item) => idOf(item) === id) : -1;
    if (!isSeq(node) || at < 0)
      throw new PrepcastError("NOT_FOUND", `${id} is not in the registry of ${configFile}`, {
        where: `${configFile}: receivers`,
        hint: "`prep-publisher receivers list --config …` shows the registered ids",
      });
    removed = (node.items[at] as { toJSON(): Record<string, unknown> }).toJSON();
    node.items.splice(at, 1);
    if (node.items.length === 0) doc.set("receivers", doc.createNode([]));
  });
  loadPublisherConfig(configFile);
  return removed!;
}
