using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Approvals.Core.Identity;
using Approvals.Local.Actions;
using Approvals.Local.Hosting;
using Approvals.Local.Identity;

namespace Approvals.Local.Cli;

/// <summary><c>approvals-local token</c> (a bearer token from the local issuer) and <c>approvals-local users</c>
/// (the local directory's people).</summary>
public static partial class IdentityCommands
{
    public static Command Token(Option<string?> dataDir, TextWriter output, TextWriter error)
    {
        var person = new Option<string>("--as") { Description = "Who the token names (an email-like sign-in name, e.g. alice@local).", Required = true };
        var roles = new Option<string[]>("--role") { Description = $"App role, repeatable: {string.Join(", ", ApprovalsRoles.All)} (default {ApprovalsRoles.Request})." };
        var minutes = new Option<int>("--minutes") { Description = "Lifetime in minutes (1 to 1440).", DefaultValueFactory = _ => 60 };
        var command = new Command("token", "Print a bearer token for the local host's API, signed by its own issuer (the data directory's key).") { person, roles, minutes, dataDir };
        command.SetAction(async (parse, _) =>
        {
            var email = parse.GetValue(person)!;
            var asked = parse.GetValue(roles) is { Length: > 0 } given ? given : [ApprovalsRoles.Request];
            if (!IsEmail(email))
            {
                await error.WriteLineAsync("--as must be an email-like name, such as alice@local.");
                return ExitCodes.Usage;
            }

            if (asked.FirstOrDefault(r => !ApprovalsRoles.All.Contains(r)) is { } unknown)
            {
                await error.WriteLineAsync($"--role {unknown} is not an app role; use {string.Join(", ", ApprovalsRoles.All)}.");
                return ExitCodes.Usage;
            }

            var lifetime = parse.GetValue(minutes);
            if (lifetime is < 1 or > 1440)
            {
                await error.WriteLineAsync("--minutes must be from 1 to 1440.");
                return ExitCodes.Usage;
            }

            // A caller is a person of the directory (the API refuses anyone else): make them one of the local directory.
            var data = parse.GetValue(dataDir) ?? DataDirectory();
            Actions.FileUserDirectory.EnsurePerson(data, email);
            var issuer = LocalIssuer.Open(data);
            await output.WriteLineAsync(issuer.Mint(email, asked, TimeSpan.FromMinutes(lifetime), DateTimeOffset.UtcNow));
            return ExitCodes.Done;
        });
        return command;
    }

    public static Command Users(Option<string?> dataDir, TextWriter output, TextWriter error)
    {
        var ids = new Argument<string[]>("ID") { Description = "User ids to add (letters, digits, '.', '_', '@', '-').", Arity = ArgumentArity.OneOrMore };
        var name = new Option<string?>("--name") { Description = "Display name (one id only; default: the id)." };
        var email = new Option<string?>("--email") { Description = "Sign-in name/email (one id only; default: ID@local)." };
        var disabled = new Option<bool>("--disabled") { Description = "Add the account disabled (a reset is then refused with 409)." };
        var add = new Command("add", "Add people to the local directory (a running host sees them at once).") { ids, name, email, disabled, dataDir };
        add.SetAction(async (parse, _) =>
        {
            var given = parse.GetValue(ids) ?? [];
            if (given.FirstOrDefault(id => !UserId().IsMatch(id)) is { } bad)
            {
                await error.WriteLineAsync($"'{bad}' is not a user id: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.");
                return ExitCodes.Usage;
            }

            if (given.Length > 1 && (parse.GetValue(name) is not null || parse.GetValue(email) is not null))
            {
                await error.WriteLineAsync("--name and --email describe one person: give one ID with them.");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(email) is { } mail && !IsEmail(mail))
            {
                await error.WriteLineAsync("--email must be an email-like name, such as alice@local.");
                return ExitCodes.Usage;
            }

            var people = given.Select(id => new LocalPerson(id, parse.GetValue(name) ?? id, (parse.GetValue(email) ?? id + "@local").ToLowerInvariant(), !parse.GetValue(disabled))).ToList();
            var directory = parse.GetValue(dataDir) ?? DataDirectory();
            FileUserDirectory.AddPeople(directory, people);
            foreach (var p in people)
            {
                await output.WriteLineAsync($"added {p.Id} ({p.DisplayName}, {p.Email}){(p.Enabled ? "" : ", disabled")}");
            }

            return ExitCodes.Done;
        });
        var list = new Command("list", "List the people in the local directory.") { dataDir };
        list.SetAction(async (parse, _) =>
        {
            foreach (var p in FileUserDirectory.ReadPeople(parse.GetValue(dataDir) ?? DataDirectory()).Values.OrderBy(p => p.Id, StringComparer.Ordinal))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{p.Id,-16} {p.Email,-28} {p.DisplayName}{(p.Enabled ? "" : "  (disabled)")}"));
            }

            return ExitCodes.Done;
        });
        return new Command("users", "The local directory's people (the stand-in for Entra ID users).") { add, list };
    }

    /// <summary>The data directory a command works on when none is given (as <c>serve</c> picks it).</summary>
    static string DataDirectory() => Environment.GetEnvironmentVariable(LocalHostSettings.DataDirectorySetting) is { Length: > 0 } d ? d : LocalHost.DefaultDataDirectory();

    public static bool IsEmail(string text) => EmailLike().IsMatch(text);

    [GeneratedRegex(@"^[^@\s<>""]{1,64}@[A-Za-z0-9.-]{1,190}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex EmailLike();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex UserId();
}
