// @prepcast/protocol/testing: the other side of the channel for tests. Test-only (it signs with
// keys it generates and writes hostile archives); no production code imports it.
export * from "./fake-ople";
export * from "./layout";
export * from "./tar-builder";
export { buildCorpus, corpusOple, CORPUS_NOW, type Corpus, type CorpusCase } from "./corpus";
