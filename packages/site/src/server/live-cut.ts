// Which cut is live: DIR/current is resolved (one readlink) at most once per event-loop turn. The
// requests parsed in the same turn share that cut, as if they had arrived together, and the first
// request of the next turn sees any switch. Each request still holds one cut object from start to
// end, so no response mixes two cuts.
import { CutCache, LoadedCut, resolveCurrentDir } from "../cut/cut";

/** The live cut, none yet (undefined), or why it cannot be read (an Error). */
export type CurrentCut = LoadedCut | undefined | Error;

export interface LiveCut {
  current(): CurrentCut;
}

export function createLiveCut(root: string): LiveCut {
  const cuts = new CutCache();
  let turnCut: CurrentCut;
  let turnResolved = false;
  const endTurn = (): void => {
    turnResolved = false;
    turnCut = undefined;
  };
  function resolveCut(): CurrentCut {
    const dir = resolveCurrentDir(root);
    if (!dir) return undefined;
    try {
      return cuts.get(dir);
    } catch (e) {
      return e as Error;
    }
  }
  return {
    current(): CurrentCut {
      if (turnResolved) return turnCut;
      turnResolved = true;
      setImmediate(endTurn);
      turnCut = resolveCut();
      return turnCut;
    },
  };
}

/** The live cut if it can be read (an unreadable one is served as none). */
export function readableCut(loaded: CurrentCut): LoadedCut | undefined {
  return loaded instanceof Error ? undefined : loaded;
}
