"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
/**
 * `@service-registry/contracts`: the shapes the registry and its clients share, as zod schemas (validate with them,
 * infer types from them): the HTTP API's requests and answers, and the change events.
 *
 * @example
 * import { instanceList } from '@service-registry/contracts';
 * const page = instanceList.parse(await (await fetch(`${url}/v1/services/orders/instances`)).json());
 *
 * @packageDocumentation
 */
__exportStar(require("./api.js"), exports);
__exportStar(require("./events.js"), exports);
__exportStar(require("./event-schemas.js"), exports);
