using Approvals.Functions.Tests.Support;

namespace Approvals.Functions.Tests;

/// <summary>infra/scripts/grant-graph.sh against a stand-in <c>az</c> that answers Graph look-ups and records every
/// call: what it asks Microsoft Graph for, on an administrative unit or — only when told — tenant-wide, that it grants
/// nothing twice, and that a refused directory-role assignment leaves the permissions granted and says so.</summary>
public sealed class GrantGraphScriptTests : IDisposable
{
    const string Identity = "11111111-2222-3333-4444-555555555555";
    const string Unit = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    // What Graph answered on roleManagement/directory under the Azure CLI's token in Azure/azure-cli#26471: 403, code
    // UnknownError, its message (a JSON string there, PermissionScopeNotGranted) shortened here.
    const string Refusal = "graph_error 403 Forbidden UnknownError 'Authorization failed due to missing permission scope RoleManagement.ReadWrite.Directory.'";
    readonly FakeAz az = new();

    /// <summary>A fake az: GETs answer from the canned table (<paramref name="granted"/>: the grants already exist;
    /// <paramref name="roleRefused"/>: Graph refuses the directory-role assignment).</summary>
    void FakeAz(bool granted, bool roleRefused = false) => az.Answer($$"""
          *"-m GET"*"servicePrincipals(appId="*) echo graph-sp ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"User-PasswordProfile"*) echo role-pw ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"User.Read.All"*) echo role-read ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"GroupMember.ReadWrite.All"*) echo role-groups ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"UserAuthMethod-TAP.ReadWrite.All"*) echo role-tap ;;
          *"-m GET"*"roleDefinitions"*"Authentication Administrator"*) echo def-aa ;;
          *"-m GET"*"/appRoleAssignments"*) {{(granted ? "echo existing" : "echo")}} ;;
          *"-m GET"*"roleDefinitions"*) echo def-ua ;;
          *"-m GET"*"roleManagement/directory/roleAssignments"*) {{(granted ? "echo existing" : "echo")}} ;;
          *"-m POST"*"roleManagement/directory/roleAssignments"*) {{(roleRefused ? Refusal : "echo '{}'")}} ;;
          *"-m POST"*) echo '{}' ;;
        """);

    (int Exit, string Output, string Error) Run(params string[] args) => az.Run("grant-graph.sh", args);

    List<string> Posts() => az.Calls.Split('\n').Where(l => l.Contains("-m POST", StringComparison.Ordinal)).ToList();

    [Fact]
    public void AdminUnit_GrantsBothPermissions_AndUserAdministratorOnThatUnitOnly()
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run("--principal-id", Identity, "--admin-unit", Unit);

        Assert.True(exit == 0, error);
        var posts = Posts();
        Assert.Equal(3, posts.Count);
        Assert.Contains(posts, p => p.Contains($"/servicePrincipals/{Identity}/appRoleAssignments", StringComparison.Ordinal) && p.Contains("\"appRoleId\":\"role-pw\"", StringComparison.Ordinal));
        Assert.Contains(posts, p => p.Contains("\"appRoleId\":\"role-read\"", StringComparison.Ordinal));
        Assert.Contains(posts, p => p.Contains("/roleManagement/directory/roleAssignments", StringComparison.Ordinal)
            && p.Contains("\"roleDefinitionId\":\"def-ua\"", StringComparison.Ordinal)
            && p.Contains($"\"directoryScopeId\":\"/administrativeUnits/{Unit}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Access_AlsoGrantsGroupMemberReadWrite_OnlyWhenAsked()
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run("--principal-id", Identity, "--admin-unit", Unit, "--access");
        var withAccess = Posts();
        File.Delete(az.Log);
        var (exitWithout, _, errorWithout) = Run("--principal-id", Identity, "--admin-unit", Unit);

        Assert.True(exit == 0, error);
        Assert.True(exitWithout == 0, errorWithout);
        Assert.Contains(withAccess, p => p.Contains("\"appRoleId\":\"role-groups\"", StringComparison.Ordinal));
        Assert.DoesNotContain(Posts(), p => p.Contains("role-groups", StringComparison.Ordinal));
    }

    [Fact]
    public void Tap_AlsoGrantsTheTapPermissionAndAuthenticationAdministrator_OnTheSameScope_OnlyWhenAsked()
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run("--principal-id", Identity, "--admin-unit", Unit, "--tap");
        var withTap = Posts();
        File.Delete(az.Log);
        var (exitWithout, _, errorWithout) = Run("--principal-id", Identity, "--admin-unit", Unit);

        Assert.True(exit == 0, error);
        Assert.True(exitWithout == 0, errorWithout);
        Assert.Contains(withTap, p => p.Contains("\"appRoleId\":\"role-tap\"", StringComparison.Ordinal));
        Assert.Contains(withTap, p => p.Contains("\"roleDefinitionId\":\"def-aa\"", StringComparison.Ordinal)
            && p.Contains($"\"directoryScopeId\":\"/administrativeUnits/{Unit}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(Posts(), p => p.Contains("role-tap", StringComparison.Ordinal) || p.Contains("def-aa", StringComparison.Ordinal));
    }

    [Fact]
    public void TenantWide_UserAdministratorOnTheWholeTenant()
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run("--principal-id", Identity, "--tenant-wide");

        Assert.True(exit == 0, error);
        Assert.Contains(Posts(), p => p.Contains("\"directoryScopeId\":\"/\"", StringComparison.Ordinal));
    }

    [Fact]
    public void DirectoryRoleRefused_PermissionsStayGranted_Exit1_NamesTheIdentityToAssignByHand()
    {
        FakeAz(granted: false, roleRefused: true);

        var (exit, _, error) = Run("--principal-id", Identity, "--admin-unit", Unit);

        Assert.Equal(1, exit);
        Assert.Equal(2, Posts().Count(p => p.Contains("/appRoleAssignments", StringComparison.Ordinal)));
        Assert.Contains(Identity, error, StringComparison.Ordinal);
        Assert.Contains(Unit, error, StringComparison.Ordinal);
    }

    [Fact]
    public void AlreadyGranted_ChangesNothing()
    {
        FakeAz(granted: true);

        var (exit, output, error) = Run("--principal-id", Identity, "--tenant-wide");

        Assert.True(exit == 0, error);
        Assert.Empty(Posts());
        Assert.Contains("kept: User Administrator", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--principal-id", "not-a-guid", "--tenant-wide")]
    [InlineData("--principal-id", Identity, "--admin-unit", "x")]
    [InlineData("--bogus", "1", "--tenant-wide")]
    [InlineData("--principal-id", Identity)] // no scope chosen: never tenant-wide by default
    [InlineData("--principal-id", Identity, "--dry-run")]
    [InlineData("--principal-id", Identity, "--admin-unit", Unit, "--tenant-wide")]
    public void BadArguments_Exit2_NothingSent(params string[] args)
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run(args);

        Assert.Equal(2, exit);
        Assert.NotEmpty(error);
        Assert.False(az.Called, "az was called");
    }

    public void Dispose() => az.Dispose();
}
