// The React bundle every frame loads first: React and react-dom 18.3.1, development builds, so an
// app's mistakes read "Objects are not valid as a React child…" rather than "Minified React error #31".
import React from "react";
import ReactDOM from "react-dom";
import ReactDOMClient from "react-dom/client";
import JsxDevRuntime from "react/jsx-dev-runtime";
import JsxRuntime from "react/jsx-runtime";
import { registerModules } from "../shared-modules";

registerModules({
  react: React,
  "react-dom": ReactDOM,
  "react-dom/client": ReactDOMClient,
  "react/jsx-runtime": JsxRuntime,
  "react/jsx-dev-runtime": JsxDevRuntime,
});
