/** The console's entry point: renders the app into the page (`console/index.html`). */
import { render } from 'preact';
import { App } from './app.js';
import './app.css';

render(<App />, document.getElementById('app')!);
