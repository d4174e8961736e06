// recharts, loaded only for apps that import it.
import * as Recharts from "recharts";
import { registerModules } from "../shared-modules";

registerModules({ recharts: Recharts });
