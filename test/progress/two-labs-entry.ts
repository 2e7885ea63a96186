/** Drives the sweep's terminal progress with two labs' events, as a parallel sweep emits them (for lab-bars.test.ts). */
import { terminalProgress } from "../../scripts/progress/terminal";

const progress = terminalProgress();
progress({ type: "sweep", lab: "lab1", sizeId: "c2-r4", trial: 1, trials: 2, done: 0, total: 4 });
progress({ type: "sweep", lab: "lab2", sizeId: "c4-r16", trial: 1, trials: 2, done: 0, total: 4 });
progress({ type: "log", lab: "lab1", level: "info", message: "provisioned" });
progress({ type: "rate", lab: "lab1", sent: 1200, total: 3000, msgsPerSec: 600 });
progress({ type: "rate", lab: "lab2", sent: 2500, total: 3000, msgsPerSec: 1250 });
progress({ type: "log", level: "info", message: "sweep finished" });
