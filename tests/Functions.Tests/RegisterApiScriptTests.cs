using Approvals.Functions.Tests.Support;

namespace Approvals.Functions.Tests;

/// <summary>infra/scripts/register-api.sh against a stand-in <c>az</c> that answers Graph look-ups and records every
/// call: the app registration it creates (v2 tokens, the three app roles, the Azure CLI pre-authorized), assignment
/// required on its service principal, groups assigned to roles — and nothing created twice.</summary>
public sealed class RegisterApiScriptTests : IDisposable
{
    const string Client = "0a1b2c3d-0000-4000-8000-00000000c11e";
    const string Helpdesk = "aaaaaaaa-1111-2222-3333-444444444444";
    readonly FakeAz az = new();

    /// <summary>A fake az; <paramref name="exists"/>: the registration, its service principal and the assignment exist.</summary>
    void FakeAz(bool exists)
    {
        var yes = (string value) => exists ? $"echo {value}" : "echo";
        az.Answer($$"""
              *"-m GET"*"applications?"*"displayName eq"*) {{yes("app-obj")}} ;;
              *"-m POST"*"/applications "*) echo app-obj ;;
              *"-m GET"*"applications/app-obj"*"appId"*) echo {{Client}} ;;
              *"-m GET"*"applications/app-obj"*"identifierUris"*) {{yes("api://" + Client)}} ;;
              *"-m PATCH"*) ;;
              *"-m GET"*"servicePrincipals?"*"appId eq"*) {{yes("sp-obj")}} ;;
              *"-m POST"*"/servicePrincipals "*) echo sp-obj ;;
              *"-m GET"*"servicePrincipals/sp-obj"*"appRoleAssignedTo"*) {{yes("assignment")}} ;;
              *"-m GET"*"servicePrincipals/sp-obj"*"Approvals.Request"*) echo role-request ;;
              *"-m POST"*"appRoleAssignedTo"*) echo assignment ;;
            """);
    }

    (int Exit, string Output, string Error) Run(params string[] args) => az.Run("register-api.sh", args);

    string Calls() => az.Calls;

    [Fact]
    public void FreshTenant_CreatesTheRegistrationRolesAndServicePrincipal_AssignsTheHelpdesk()
    {
        FakeAz(exists: false);

        var (exit, output, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk);

        Assert.True(exit == 0, error);
        var calls = Calls();
        Assert.Contains("\"displayName\":\"Approvals API (prod)\"", calls, StringComparison.Ordinal);
        Assert.Contains("\"requestedAccessTokenVersion\":2", calls, StringComparison.Ordinal);
        foreach (var role in new[] { "Approvals.Request", "Approvals.Audit", "Approvals.Admin" })
        {
            Assert.Contains($"\"value\":\"{role}\"", calls, StringComparison.Ordinal);
        }

        Assert.Contains("\"appId\":\"04b07795-8ddb-461a-bbee-02f9e1bf7b46\"", calls, StringComparison.Ordinal); // Azure CLI pre-authorized
        Assert.Contains($"\"identifierUris\":[\"api://{Client}\"]", calls, StringComparison.Ordinal);
        Assert.Contains($"\"appId\":\"{Client}\",\"appRoleAssignmentRequired\":true", calls, StringComparison.Ordinal);
        Assert.Contains($"\"principalId\":\"{Helpdesk}\",\"resourceId\":\"sp-obj\",\"appRoleId\":\"role-request\"", calls, StringComparison.Ordinal);
        Assert.Contains($"APPROVALS_API_CLIENT_ID={Client}", output, StringComparison.Ordinal);
        Assert.Contains($"APPROVALS_API_IDENTIFIER_URI=api://{Client}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AlreadyRegistered_CreatesNothing()
    {
        FakeAz(exists: true);

        var (exit, output, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk);

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("-m POST", Calls(), StringComparison.Ordinal);
        Assert.Contains("kept: group " + Helpdesk, output, StringComparison.Ordinal);
    }

    [Fact]
    public void DryRun_SendsNothing()
    {
        FakeAz(exists: false);

        var (exit, _, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk, "--dry-run");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("-m POST", Calls(), StringComparison.Ordinal);
        Assert.DoesNotContain("-m PATCH", Calls(), StringComparison.Ordinal);
        Assert.Contains("would POST", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--helpdesk-group", "not-a-guid")]
    [InlineData("--env", "bad name!")]
    [InlineData("--bogus", "1")]
    public void BadArguments_Exit2_NothingSent(string flag, string value)
    {
        FakeAz(exists: false);

        var (exit, _, error) = flag == "--env" ? Run(flag, value) : Run("--env", "prod", flag, value);

        Assert.Equal(2, exit);
        Assert.NotEmpty(error);
        Assert.False(az.Called, "az was called");
    }

    public void Dispose() => az.Dispose();
}
