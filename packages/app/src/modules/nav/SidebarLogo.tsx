import {
  Link,
  sidebarConfig,
  useSidebarOpenState,
} from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  root: {
    width: sidebarConfig.drawerWidthClosed,
    height: 3 * sidebarConfig.logoHeight,
    display: 'flex',
    flexFlow: 'row nowrap',
    alignItems: 'center',
    marginBottom: -14,
  },
  link: {
    width: sidebarConfig.drawerWidthClosed,
    marginLeft: 24,
    color: '#fff',
    whiteSpace: 'nowrap',
  },
});

/** A text logo: short when the sidebar is closed, the product name when open. */
export function SidebarLogo() {
  const classes = useStyles();
  const { isOpen } = useSidebarOpenState();
  return (
    <div className={classes.root}>
      {/* The name starts with the words drawn, so speech input can say what it sees. */}
      <Link
        to="/"
        underline="none"
        className={classes.link}
        aria-label="Vast.ai incidents home"
      >
        <Typography variant="h6" component="span">
          {isOpen ? 'Vast.ai incidents' : 'V'}
        </Typography>
      </Link>
    </div>
  );
}
