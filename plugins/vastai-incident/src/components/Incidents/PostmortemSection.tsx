import { MarkdownContent } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  IncidentDetail,
  Postmortem,
} from '@vastai-incident/backstage-plugin-common';
import { useCallback, useEffect, useState } from 'react';
import { useIncidentsApi } from '../../hooks/useIncidents';
import { ActionHint, ActionRow } from '../common/ActionRow';
import { ErrorAlert } from '../common/ErrorAlert';
import { errorMessage, formatTime, Gate } from './support';
import { useAction } from './useAction';

export interface PostmortemSectionProps {
  incident: IncidentDetail;
  edit: Gate;
}

/** The postmortem draft from the runbook's template: preview, edit, save, download. */
export function PostmortemSection(props: PostmortemSectionProps) {
  const { incident, edit } = props;
  const api = useIncidentsApi();
  const [postmortem, setPostmortem] = useState<Postmortem>();
  const [text, setText] = useState('');
  const [dirty, setDirty] = useState(false);
  const [mode, setMode] = useState<'preview' | 'edit'>('preview');
  const [notice, setNotice] = useState<string>();
  const { busy, error, setError, run, download } = useAction();

  const load = useCallback(async () => {
    try {
      const p = await api.getPostmortem(incident.id);
      setPostmortem(p);
      setText(p.markdown);
      setDirty(false);
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [api, incident.id, setError]);

  // The generated draft follows the timeline until it is edited or saved.
  useEffect(() => {
    if (!dirty) load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load, incident.updatedAt, incident.timeline.length]);

  const save = () => {
    setNotice(undefined);
    return run(async () => {
      const saved = await api.savePostmortem(incident.id, text);
      setPostmortem(saved);
      setText(saved.markdown);
      setDirty(false);
      setNotice(`Saved ${formatTime(saved.updatedAt)}`);
    });
  };

  return (
    <Box data-testid="vastai-postmortem">
      <Typography variant="body2" color="textSecondary">
        {postmortem?.saved
          ? `Saved by ${postmortem.updatedBy ?? 'someone'} ${formatTime(
              postmortem.updatedAt,
            )}`
          : 'A draft from the runbook template: root cause and action items are for people to write.'}
      </Typography>
      <ErrorAlert message={error} />
      {notice && !error && (
        <Alert severity="success" role="status">
          {notice}
        </Alert>
      )}
      <Tabs
        value={mode}
        onChange={(_, value) => setMode(value)}
        aria-label="Postmortem view"
        indicatorColor="primary"
      >
        <Tab value="preview" label="Preview" />
        <Tab value="edit" label="Edit" />
      </Tabs>
      {mode === 'preview' ? (
        <Box
          mt={1}
          p={1}
          style={{ maxHeight: 480, overflow: 'auto' }}
          data-testid="vastai-postmortem-preview"
          // A scroll box must take focus so that the keyboard can scroll it.
          role="region"
          aria-label="Postmortem preview, scrollable"
          tabIndex={0}
        >
          {postmortem ? (
            <MarkdownContent content={text} />
          ) : (
            <Typography variant="body2">Loading the postmortem…</Typography>
          )}
        </Box>
      ) : (
        <TextField
          id="vastai-postmortem-editor"
          label="Postmortem (Markdown)"
          value={text}
          onChange={e => {
            setText(e.target.value);
            setDirty(true);
            setNotice(undefined);
          }}
          multiline
          minRows={12}
          maxRows={30}
          fullWidth
          variant="outlined"
          margin="dense"
          disabled={!edit.allowed || !postmortem}
          helperText={edit.reason}
        />
      )}
      <ActionRow mt={1}>
        <Button
          variant="contained"
          color="primary"
          onClick={save}
          disabled={!edit.allowed || busy || !text.trim() || !dirty}
        >
          {busy ? 'Saving…' : 'Save postmortem'}
        </Button>
        <Button
          variant="outlined"
          onClick={() => download(() => api.downloadPostmortem(incident.id))}
        >
          Download postmortem (.md)
        </Button>
        <ActionHint>
          {dirty &&
            'Unsaved changes: the download holds the last saved version.'}
        </ActionHint>
        <ActionHint>{!edit.allowed && edit.reason}</ActionHint>
      </ActionRow>
    </Box>
  );
}
