// Child process of the time-to-bug benchmark: runs one campaign (a JSON CampaignSpec in argv[2])
// and prints its CampaignRun as one JSON line. In-process engines run here so that the parent
// can run two campaigns at a time and stays responsive.
import { runCampaignHere, type CampaignSpec } from "./engines.js";

const spec = JSON.parse(process.argv[2] ?? "null") as CampaignSpec | null;
if (!spec) {
  process.stderr.write("usage: campaign-worker.js '<CampaignSpec JSON>'\n");
  process.exit(2);
}
const run = await runCampaignHere(spec);
process.stdout.write(JSON.stringify(run) + "\n");
