import {
  Sidebar,
  SidebarDivider,
  SidebarGroup,
  SidebarItem,
  SidebarScrollWrapper,
  SidebarSpace,
} from '@backstage/core-components';
import { NavContentBlueprint } from '@backstage/plugin-app-react';
import { NotificationsSidebarItem } from '@backstage/plugin-notifications';
import { UserSettingsSignInAvatar } from '@backstage/plugin-user-settings';
import MenuIcon from '@material-ui/icons/Menu';
import ReportProblemOutlinedIcon from '@material-ui/icons/ReportProblemOutlined';
import { SidebarLogo } from './SidebarLogo';

/**
 * The portal-wide incidents page, right under the catalog where on-call looks first. Drawn here
 * because pages of this frontend-plugin-api version bring no nav item of their own; named
 * "Incidents" so that it is not mistaken for an entity's "Vast.ai incident" tab.
 */
function IncidentsSidebarItem() {
  return (
    <SidebarItem
      icon={ReportProblemOutlinedIcon}
      to="/vastai-incidents"
      text="Incidents"
    />
  );
}

export const SidebarContent = NavContentBlueprint.make({
  params: {
    component: ({ navItems }) => {
      const nav = navItems.withComponent(item => (
        <SidebarItem icon={() => item.icon} to={item.href} text={item.title} />
      ));
      // Rendered by NotificationsSidebarItem below, with its unread count.
      nav.take('page:notifications');
      // Drawn by IncidentsSidebarItem, should the page ever bring its own item.
      nav.take('page:vastai-incident');
      return (
        <Sidebar>
          <SidebarLogo />
          <SidebarGroup label="Menu" icon={<MenuIcon />}>
            {nav.take('page:catalog')}
            <IncidentsSidebarItem />
            <SidebarDivider />
            <SidebarScrollWrapper>
              {nav.rest({ sortBy: 'title' })}
            </SidebarScrollWrapper>
          </SidebarGroup>
          <SidebarSpace />
          <SidebarDivider />
          <NotificationsSidebarItem />
          <SidebarDivider />
          <SidebarGroup
            label="Settings"
            icon={<UserSettingsSignInAvatar />}
            to="/settings"
          >
            {nav.take('page:user-settings')}
          </SidebarGroup>
        </Sidebar>
      );
    },
  },
});
