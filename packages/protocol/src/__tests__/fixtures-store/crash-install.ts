// Child process of store-crash.test.ts: installs one package into a state directory and kills
// itself with SIGKILL right after the named durable step (a real crash: no finally, no exit hook).
// argv: root, package file, root public key (base64), now (ISO), step
import { CutStore, installPackage, type StoreStep } from "../../index";

async function main(): Promise<void> {
  const [root, pkg, rootPub, now, step] = process.argv.slice(2) as [string, string, string, string, StoreStep];
  const store = await CutStore.open(root, {
    now: () => new Date(now),
    afterStep: (s) => {
      if (s === step) process.kill(process.pid, "SIGKILL");
    },
  });
  await installPackage(store, pkg, { rootPublicKey: Buffer.from(rootPub, "base64"), now: new Date(now) });
  store.close();
  process.stdout.write("installed without reaching the step\n");
}

main().catch((e) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
