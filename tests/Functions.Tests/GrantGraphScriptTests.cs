using Approvals.Functions.Tests.Support;

namespace Approvals.Functions.Tests;

/// <summary>infra/scripts/grant-graph.sh against a stand-in <c>az</c> that answers Graph look-ups and records every
/// call: what it asks Microsoft Graph for, tenant-wide or on an administrative unit, and that it grants nothing twice.</summary>
public sealed class GrantGraphScriptTests : IDisposable
{
    const string Identity = "11111111-2222-3333-4444-555555555555";
    const string Unit = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    readonly FakeAz az = new();

    /// <summary>A fake az: GETs answer from the canned table (<paramref name="granted"/>: the grants already exist).</summary>
    void FakeAz(bool granted) => az.Answer($$"""
          *"-m GET"*"servicePrincipals(appId="*) echo graph-sp ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"User-PasswordProfile"*) echo role-pw ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"User.Read.All"*) echo role-read ;;
          *"-m GET"*"servicePrincipals/graph-sp"*"GroupMember.ReadWrite.All"*) echo role-groups ;;
          *"-m GET"*"/appRoleAssignments"*) {{(granted ? "echo existing" : "echo")}} ;;
          *"-m GET"*"roleDefinitions"*) echo def-ua ;;
          *"-m GET"*"roleManagement/directory/roleAssignments"*) {{(granted ? "echo existing" : "echo")}} ;;
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

        var (exit, _, error) = Run("--principal-id", Identity, "--access");
        var withAccess = Posts();
        File.Delete(az.Log);
        var (exitWithout, _, errorWithout) = Run("--principal-id", Identity);

        Assert.True(exit == 0, error);
        Assert.True(exitWithout == 0, errorWithout);
        Assert.Contains(withAccess, p => p.Contains("\"appRoleId\":\"role-groups\"", StringComparison.Ordinal));
        Assert.DoesNotContain(Posts(), p => p.Contains("role-groups", StringComparison.Ordinal));
    }

    [Fact]
    public void NoAdminUnit_UserAdministratorTenantWide()
    {
        FakeAz(granted: false);

        var (exit, _, error) = Run("--principal-id", Identity);

        Assert.True(exit == 0, error);
        Assert.Contains(Posts(), p => p.Contains("\"directoryScopeId\":\"/\"", StringComparison.Ordinal));
    }

    [Fact]
    public void AlreadyGranted_ChangesNothing()
    {
        FakeAz(granted: true);

        var (exit, output, error) = Run("--principal-id", Identity);

        Assert.True(exit == 0, error);
        Assert.Empty(Posts());
        Assert.Contains("kept: User Administrator", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--principal-id", "not-a-guid")]
    [InlineData("--admin-unit", "x")]
    [InlineData("--bogus", "1")]
    public void BadArguments_Exit2_NothingSent(string flag, string value)
    {
        FakeAz(granted: false);

        var (exit, _, error) = flag == "--admin-unit" ? Run("--principal-id", Identity, flag, value) : Run(flag, value);

        Assert.Equal(2, exit);
        Assert.NotEmpty(error);
        Assert.False(az.Called, "az was called");
    }

    public void Dispose() => az.Dispose();
}
