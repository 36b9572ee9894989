using Approvals.Functions.Tests.Support;

namespace Approvals.Functions.Tests;

/// <summary>infra/scripts/register-api.sh against a stand-in <c>az</c> whose applications collection answers as Entra
/// does (<see cref="FakeEntraApplications"/>: a body that pre-authorizes a scope not yet saved is refused): the
/// registration it creates (v2 tokens, the three app roles, an admin-consent-only scope), the Azure CLI pre-authorized
/// in a second request, assignment required on its service principal, groups assigned to roles — nothing created
/// twice, and what an interrupted run left out added by the next.</summary>
public sealed class RegisterApiScriptTests : IDisposable
{
    const string Client = "0a1b2c3d-0000-4000-8000-00000000c11e";
    const string Helpdesk = "aaaaaaaa-1111-2222-3333-444444444444";
    const string SavedScope = "5c0be000-0000-4000-8000-000000000001";
    const string Graph = "https://graph.microsoft.com/v1.0";
    readonly FakeAz az = new();
    readonly FakeEntraApplications apps;

    public RegisterApiScriptTests() => apps = new FakeEntraApplications(az, Client);

    /// <summary>The stand-in az; <paramref name="servicePrincipal"/>: the service principal and the helpdesk's
    /// assignment exist.</summary>
    void FakeAz(bool servicePrincipal)
    {
        var yes = (string value) => servicePrincipal ? $"echo {value}" : "echo";
        az.Answer(FakeEntraApplications.Arm + $$"""
              *"-m GET"*"servicePrincipals?"*"appId eq"*) {{yes("sp-obj")}} ;;
              *"-m POST"*"/servicePrincipals "*) echo sp-obj ;;
              *"-m PATCH"*"/servicePrincipals/sp-obj "*) ;;
              *"-m GET"*"servicePrincipals/sp-obj"*"appRoleAssignedTo"*) {{yes("assignment")}} ;;
              *"-m GET"*"servicePrincipals/sp-obj"*"Approvals.Request"*) echo role-request ;;
              *"-m POST"*"appRoleAssignedTo"*) echo assignment ;;
            """, apps.Functions);
    }

    (int Exit, string Output, string Error) Run(params string[] args) => az.Run("register-api.sh", args);

    /// <summary>The logged calls that change the application registration, in order.</summary>
    List<string> ApplicationWrites() =>
        az.Calls.Replace("\nrest ", "\n\u0001rest ", StringComparison.Ordinal).Split('\u0001')
            .Where(c => c.Contains($"-u {Graph}/applications", StringComparison.Ordinal) && !c.Contains("-m GET", StringComparison.Ordinal))
            .ToList();

    [Fact]
    public void FreshTenant_CreatesTheRegistrationWithAnAdminOnlyScope_ThenPreAuthorizesTheCliInASecondRequest()
    {
        FakeAz(servicePrincipal: false);

        var (exit, output, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk);

        Assert.True(exit == 0, error);
        var writes = ApplicationWrites();
        var create = Assert.Single(writes, w => w.Contains("-m POST", StringComparison.Ordinal));
        Assert.Contains("\"displayName\":\"Approvals API (prod)\"", create, StringComparison.Ordinal);
        Assert.Contains("\"requestedAccessTokenVersion\":2", create, StringComparison.Ordinal);
        foreach (var role in new[] { "Approvals.Request", "Approvals.Audit", "Approvals.Admin" })
        {
            Assert.Contains($"\"value\":\"{role}\"", create, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("preAuthorizedApplications", create, StringComparison.Ordinal);
        // What Entra saved: one scope, admin consent only, and the Azure CLI pre-authorized for exactly that scope by a
        // request after the one that created it.
        var scope = Assert.Single(apps.SavedScopes.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split(' ');
        Assert.Equal(["Admin", "access_as_user"], scope[1..]);
        Assert.Equal($"{FakeEntraApplications.AzureCli} {scope[0]}\n", apps.SavedPreAuthorizations);
        Assert.True(writes.FindIndex(w => w.Contains("preAuthorizedApplications", StringComparison.Ordinal)) > writes.IndexOf(create));

        Assert.Contains($"\"identifierUris\":[\"api://{Client}\"]", az.Calls, StringComparison.Ordinal);
        Assert.Contains($"\"appId\":\"{Client}\",\"appRoleAssignmentRequired\":true", az.Calls, StringComparison.Ordinal);
        Assert.Contains($"\"principalId\":\"{Helpdesk}\",\"resourceId\":\"sp-obj\",\"appRoleId\":\"role-request\"", az.Calls, StringComparison.Ordinal);
        Assert.Contains($"APPROVALS_API_CLIENT_ID={Client}", output, StringComparison.Ordinal);
        Assert.Contains($"APPROVALS_API_IDENTIFIER_URI=api://{Client}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void StandIn_PreAuthorizingAScopeNotYetSaved_RefusedAsEntraRefuses_AcceptedOnceTheScopeIsSaved()
    {
        FakeAz(servicePrincipal: false);
        const string Scope = $$"""{"id":"{{SavedScope}}","value":"access_as_user","type":"Admin","isEnabled":true}""";
        const string PreAuthorize = $$"""{"appId":"{{FakeEntraApplications.AzureCli}}","delegatedPermissionIds":["{{SavedScope}}"]}""";
        string[] Write(string method, string url, string body) =>
            ["rest", "-m", method, "-u", url, "--headers", "Content-Type=application/json", "--body", body, "--query", "id", "-o", "tsv"];

        var oneRequest = az.Az(Write("POST", $"{Graph}/applications",
            $$$"""{"displayName":"x","api":{"oauth2PermissionScopes":[{{{Scope}}}],"preAuthorizedApplications":[{{{PreAuthorize}}}]}}"""));
        var created = az.Az(Write("POST", $"{Graph}/applications", $$$"""{"displayName":"x","api":{"oauth2PermissionScopes":[{{{Scope}}}]}}"""));
        var preAuthorized = az.Az(Write("PATCH", $"{Graph}/applications/{FakeEntraApplications.ObjectId}", $$$"""{"api":{"preAuthorizedApplications":[{{{PreAuthorize}}}]}}"""));

        Assert.Equal(1, oneRequest.Exit);
        Assert.Contains("Bad Request({\"error\":{\"code\":\"InvalidValue\"", oneRequest.Error, StringComparison.Ordinal);
        Assert.True(created.Exit == 0 && preAuthorized.Exit == 0, created.Error + preAuthorized.Error);
        Assert.Equal($"{FakeEntraApplications.AzureCli} {SavedScope}\n", apps.SavedPreAuthorizations);
    }

    [Fact]
    public void AlreadyRegistered_CreatesNothing_ChangesNoRegistration()
    {
        apps.Seed(SavedScope, "Admin", cliPreAuthorized: true);
        FakeAz(servicePrincipal: true);

        var (exit, output, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk);

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("-m POST", az.Calls, StringComparison.Ordinal);
        Assert.Empty(ApplicationWrites());
        Assert.Contains("kept: group " + Helpdesk, output, StringComparison.Ordinal);
    }

    [Fact]
    public void InterruptedBeforeThePreAuthorization_NextRunAddsOnlyThat()
    {
        apps.Seed(SavedScope, "Admin", cliPreAuthorized: false);
        FakeAz(servicePrincipal: true);

        var (exit, _, error) = Run("--env", "prod");

        Assert.True(exit == 0, error);
        var write = Assert.Single(ApplicationWrites());
        Assert.Contains("preAuthorizedApplications", write, StringComparison.Ordinal);
        Assert.Equal($"{FakeEntraApplications.AzureCli} {SavedScope}\n", apps.SavedPreAuthorizations);
    }

    [Fact]
    public void UserConsentScopeFromAnEarlierRun_BecomesAdminOnly_SameScopeId()
    {
        apps.Seed(SavedScope, "User", cliPreAuthorized: true);
        FakeAz(servicePrincipal: true);

        var (exit, _, error) = Run("--env", "prod");

        Assert.True(exit == 0, error);
        Assert.Single(ApplicationWrites());
        Assert.Equal($"{SavedScope} Admin access_as_user\n", apps.SavedScopes);
        Assert.Equal($"{FakeEntraApplications.AzureCli} {SavedScope}\n", apps.SavedPreAuthorizations);
    }

    [Fact]
    public void DryRun_SendsNothing()
    {
        FakeAz(servicePrincipal: false);

        var (exit, _, error) = Run("--env", "prod", "--helpdesk-group", Helpdesk, "--dry-run");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("-m POST", az.Calls, StringComparison.Ordinal);
        Assert.DoesNotContain("-m PATCH", az.Calls, StringComparison.Ordinal);
        Assert.Contains("would POST", error, StringComparison.Ordinal);
        Assert.Contains("would PATCH", error, StringComparison.Ordinal);
        Assert.Empty(apps.SavedScopes);
    }

    [Theory]
    [InlineData("--helpdesk-group", "not-a-guid")]
    [InlineData("--env", "bad name!")]
    [InlineData("--bogus", "1")]
    public void BadArguments_Exit2_NothingSent(string flag, string value)
    {
        FakeAz(servicePrincipal: false);

        var (exit, _, error) = flag == "--env" ? Run(flag, value) : Run("--env", "prod", flag, value);

        Assert.Equal(2, exit);
        Assert.NotEmpty(error);
        Assert.False(az.Called, "az was called");
    }

    public void Dispose() => az.Dispose();
}
