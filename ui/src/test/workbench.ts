// A Workbench with a workspace entered, for tests (the recovery timer stopped).
import type { WorkspaceView } from "../lib/contract";
import { Workbench } from "../lib/workbench.svelte";
import { VIEW } from "./fakeShell";

export async function openWorkbench(view: WorkspaceView = VIEW): Promise<Workbench> {
  const wb = new Workbench();
  await wb.enter(view);
  wb.buffers.stopRecoveryCopies();
  return wb;
}
