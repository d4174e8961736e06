// Every lucide-react icon (the app's imports are only known at run time), loaded on first use.
import * as LucideReact from "lucide-react";
import { registerModules } from "../shared-modules";

registerModules({ "lucide-react": LucideReact });
