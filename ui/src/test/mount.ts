// Mounting a component in jsdom for a test, with a Workbench in context when it needs one.
import { flushSync, mount, unmount, type Component } from "svelte";
import { WORKBENCH_CONTEXT, type Workbench } from "../lib/workbench.svelte";

export interface Mounted {
  target: HTMLElement;
  destroy: () => void;
}

export function render<P extends Record<string, unknown>>(component: Component<P>, props: P, wb?: Workbench): Mounted {
  const target = document.createElement("div");
  document.body.appendChild(target);
  const context = new Map<unknown, unknown>();
  if (wb) context.set(WORKBENCH_CONTEXT, wb);
  const instance = mount(component, { target, props, context });
  flushSync();
  return {
    target,
    destroy: () => {
      unmount(instance);
      target.remove();
    },
  };
}
